import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { connectApi } from './api';
import { App } from './App';
import { TraceBuffer } from './live/traceBuffer';
import { StoreContext } from './state/context';
import { Store } from './state/store';
import './styles/app.css';

// The contract's schemas must not compile validators with `new Function`: the CSP forbids eval.
z.config({ jitless: true });

// 16 channels at 10 kHz are the defaults; the buffer adapts to the rate the stream announces.
const buffer = new TraceBuffer(16, 10_000, 8);
const conn = connectApi();
const store = new Store(conn.api, buffer);
void store.start(conn.onLink).catch((e: unknown) => store.reportError(`start-up failed: ${String(e)}`));

const rootEl = document.getElementById('root');
if (!rootEl) throw new Error('#root missing');
createRoot(rootEl).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App buffer={buffer} />
    </StoreContext.Provider>
  </StrictMode>,
);
