// ESLint rule enforcing the folder import rules of docs/ARCHITECTURE.md.
// Each source file belongs to a layer (its folder); a relative import may only reach the layers that
// layer is allowed to see, and some npm packages belong to exactly one layer.
import path from 'node:path';
import { builtinModules } from 'node:module';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Layer name for a path inside the repository, or null for files outside any layer. */
export function layerOf(absPath) {
  const rel = path.relative(ROOT, absPath).split(path.sep).join('/');
  if (rel.startsWith('..')) return null;
  const parts = rel.split('/');
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === 'hardware') return parts[1] === 'serial' ? 'hardware/serial' : 'hardware';
  if (['electron', 'renderer', 'test', 'tools', 'bin'].includes(parts[0])) return parts[0];
  return null;
}

const SRC_BELOW_APP = [
  'src/domain', 'src/protocol', 'src/pipeline', 'src/grading', 'src/formats', 'src/storage', 'src/contracts',
];

/** Which layers each layer may import from (its own layer is always allowed). */
export const ALLOWED = {
  'src/domain': [],
  'src/protocol': ['src/domain'],
  'src/pipeline': ['src/domain'],
  'src/grading': ['src/domain', 'src/pipeline'],
  'src/formats': ['src/domain'],
  'src/storage': ['src/domain'],
  'src/contracts': ['src/domain'],
  'src/app': [...SRC_BELOW_APP, 'hardware', 'hardware/serial'],
  'src/server': ['src/app', 'src/contracts', 'src/domain'],
  'src/cli': [...SRC_BELOW_APP, 'src/app', 'src/server', 'hardware', 'hardware/serial'],
  hardware: ['src/domain', 'src/protocol', 'hardware/serial'],
  'hardware/serial': ['src/domain', 'src/protocol', 'hardware'],
  electron: ['src/app', 'src/contracts', 'src/domain'],
  renderer: ['src/contracts', 'src/domain'],
};

/** npm packages owned by one layer: nobody else may import them. */
export const OWNED_PACKAGES = {
  'better-sqlite3': ['src/storage'],
  serialport: ['hardware/serial'],
  '@serialport/': ['hardware/serial'],
  electron: ['electron'],
  react: ['renderer'],
  'react-dom': ['renderer'],
  'chart.js': ['renderer'],
};

/** Layers that must stay free of Node built-ins (they run in the renderer or must stay pure). */
const NO_NODE = new Set(['renderer', 'src/domain', 'src/protocol', 'src/pipeline', 'src/grading', 'src/contracts']);
const BUILTINS = new Set(builtinModules);

function ownerOf(spec) {
  for (const [pkg, owners] of Object.entries(OWNED_PACKAGES)) {
    if (pkg.endsWith('/') ? spec.startsWith(pkg) : spec === pkg || spec.startsWith(`${pkg}/`)) return owners;
  }
  return null;
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the folder import rules of docs/ARCHITECTURE.md' },
    schema: [],
    messages: {
      layer: "Layer '{{from}}' may not import from '{{to}}' (allowed: {{allowed}}).",
      owned: "Package '{{pkg}}' may only be imported in {{owners}}, not in '{{from}}'.",
      node: "Layer '{{from}}' must not use the Node built-in '{{pkg}}'.",
    },
  },
  create(context) {
    const file = context.filename ?? context.getFilename();
    const from = layerOf(file);
    if (!from || from === 'test' || from === 'tools' || from === 'bin') return {};
    const allowed = ALLOWED[from] ?? [];
    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (spec.startsWith('.')) {
        const to = layerOf(path.resolve(path.dirname(file), spec));
        if (to && to !== from && !allowed.includes(to)) {
          context.report({ node, messageId: 'layer', data: { from, to, allowed: allowed.join(', ') || 'none' } });
        }
        return;
      }
      const owners = ownerOf(spec);
      if (owners && !owners.includes(from)) {
        context.report({ node, messageId: 'owned', data: { pkg: spec, owners: owners.join(', '), from } });
      }
      const bare = spec.startsWith('node:') ? spec.slice(5) : spec.split('/')[0];
      if (NO_NODE.has(from) && (spec.startsWith('node:') || BUILTINS.has(bare))) {
        context.report({ node, messageId: 'node', data: { from, pkg: spec } });
      }
    }
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'Literal') {
          check(n, n.arguments[0].value);
        }
      },
    };
  },
};

export default { rules: { layers: layersRule } };
