import os from 'node:os';
import path from 'node:path';

/**
 * Where the case database lives when no path is given: $SDRLOG_DB if set; otherwise the user data folder
 * (Linux: $XDG_CONFIG_HOME or ~/.config, macOS: ~/Library/Application Support, Windows: %APPDATA%)
 * plus sdrlog/sdrlog.db.
 */
export function defaultDatabasePath(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env.SDRLOG_DB?.trim();
  if (override) return override;
  let base: string;
  if (platform === 'darwin') base = path.join(home, 'Library', 'Application Support');
  else if (platform === 'win32') base = env.APPDATA?.trim() || path.join(home, 'AppData', 'Roaming');
  else base = env.XDG_CONFIG_HOME?.trim() || path.join(home, '.config');
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  return join(base, 'sdrlog', 'sdrlog.db');
}
