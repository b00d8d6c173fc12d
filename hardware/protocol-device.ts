import type { ChannelStatus, SampleGap, StimulationEvent } from '../src/domain';
import { DeviceStreamDecoder, HostEncoder, type AckResult, type DeviceMessage, type SampleFormat } from '../src/protocol';
import type { ByteTransport, ConnectionState, DeviceEvents, DeviceInfo, Disposer, EmgDevice, HostCommand, LinkCounters } from './device';

/** How to come back after the link vanishes: exponential backoff between attempts. */
export interface ReconnectPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Delay multiplier per failed attempt (default 2). */
  readonly factor?: number;
  /** Give up after this many failed attempts (default: never). */
  readonly maxAttempts?: number;
}

export interface ProtocolDeviceOptions {
  /** null (default): a vanished link stays 'disconnected' until the owner closes or reopens. */
  readonly reconnect?: ReconnectPolicy | null;
  /** How long a command waits for its ACK (default 1000 ms). */
  readonly ackTimeoutMs?: number;
  /** How long open() waits for DEVICE_INFO (default 2000 ms). */
  readonly infoTimeoutMs?: number;
  /** Wall clock in ms, injectable for tests (default Date.now). */
  readonly nowMs?: () => number;
  /**
   * How long, while the link is open, a gap in stimulation numbers may wait for the device's
   * retransmission before the missing stimulations are reported lost (default 5000 ms).
   */
  readonly stimulationGapTimeoutMs?: number;
  /**
   * The device's retransmission interval for unacknowledged stimulations, device time (default
   * STIMULATION_RETRANSMIT_MS, as the protocol specifies). After a frame loss the confirmation of
   * stimulation reports waits CONFIRM_HOLD_RETRANSMISSIONS intervals of stream past the loss.
   */
  readonly stimulationRetransmitMs?: number;
}

/** Stimulation numbers remembered for recognising retransmissions (far more than a device queues). */
const RECENT_STIMULATIONS = 1024;

/** A 1.1 device retransmits an unacknowledged STIMULATION every 150 ms of device time (hardware/PROTOCOL.md). */
export const STIMULATION_RETRANSMIT_MS = 150;

/**
 * Retransmission intervals of stream a frame loss holds the stimulation confirmation back: the lost frame
 * may have been a STIMULATION whose first pulse is at or after the loss point; its first retransmission is
 * due one interval after that pulse (sent after the SAMPLES frame that reaches it), so two intervals leave
 * room for the pulse lying a little after the loss point and for the device's block granularity. A
 * retransmission lost in turn is a new loss and extends the hold.
 */
export const CONFIRM_HOLD_RETRANSMISSIONS = 2;

/** DeviceInfo plus what the wire protocol adds. */
export interface ProtocolDeviceInfo extends DeviceInfo {
  readonly gainUvPerCount: number;
  readonly sampleFormat: SampleFormat;
}

/** A command the device refused (ACK with a result other than ok) or never answered. */
export class DeviceCommandError extends Error {
  constructor(
    message: string,
    readonly result: AckResult | 'timeout' | 'link-lost' | 'not-open',
  ) {
    super(message);
    this.name = 'DeviceCommandError';
  }
}

interface Pending {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly what: string;
}

type ListenerSets = { [K in keyof DeviceEvents]: Set<DeviceEvents[K]> };

/**
 * An EmgDevice speaking the sdrlog wire protocol (hardware/PROTOCOL.md) over any ByteTransport.
 *
 * Sample indices are re-based so the emitted stream is monotonic: a reconnection, or a device whose
 * counter restarted, continues after the last emitted sample plus the interval known to be missing,
 * and that interval is emitted as a SampleGap ('disconnected' after a lost link) before the next
 * block: missing data is marked, never spliced (shared architecture notes, "Device protocol").
 */
export class ProtocolDevice implements EmgDevice {
  private readonly decoder = new DeviceStreamDecoder();
  private readonly encoder = new HostEncoder();
  private readonly listeners: ListenerSets = {
    info: new Set(), block: new Set(), stimulation: new Set(), 'stimulations-confirmed': new Set(), gap: new Set(), status: new Set(), error: new Set(), connection: new Set(),
  };
  private readonly pending = new Map<number, Pending>();
  private readonly reconnectPolicy: ReconnectPolicy | null;
  private readonly ackTimeoutMs: number;
  private readonly infoTimeoutMs: number;
  private readonly nowMs: () => number;
  private transportDisposers: Disposer[] = [];
  private infoValue: ProtocolDeviceInfo | null = null;
  private infoWaiters: Array<(info: ProtocolDeviceInfo) => void> = [];
  private stateValue: ConnectionState = 'closed';
  /** Host sample index = device sample index + offset. */
  private offset = 0;
  /** Host index after the last emitted block (null before the first block). */
  private hostNextSample: number | null = null;
  private lastBlockAtMs = 0;
  private lastSampleRateHz = 0;
  /** Set when the link was lost: the next block records the interval. */
  private lostLinkAtMs: number | null = null;
  private streaming = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectAttempt = 0;
  private readonly stimulationGapTimeoutMs: number;
  /**
   * Number of the next numbered stimulation to emit: 1 at first (a device numbers from 1 after
   * power-up), null right after a detected device restart (the next number seen sets it).
   */
  private stimNext: number | null = 1;
  /** Numbered stimulations received ahead of a missing one (device indices), by number. */
  private readonly stimHeld = new Map<number, StimulationEvent>();
  /** Recently emitted numbers -> device sample index, to recognise retransmissions and device restarts. */
  private readonly stimRecent = new Map<number, number>();
  private stimGapTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly stimulationRetransmitMs: number;
  /** Last 'stimulations-confirmed' sample (host index), null before the first. */
  private confirmedTo: number | null = null;
  /** While set, the confirmation waits until the stream (host index) reaches this sample. */
  private confirmHoldUntil: number | null = null;
  /** A loss before the next block (a lost link, a loss before any block): the hold starts at that block. */
  private holdAtNextBlock = false;
  /**
   * A sequence gap just reported (frames-lost), judged by the message that revealed it: a single lost frame
   * followed by a sample-index jump was the SAMPLES frame carrying those samples (no report can be missing);
   * anything else may have been a STIMULATION and holds the confirmation from `at`.
   */
  private pendingLoss: { readonly count: number; readonly at: number | null } | null = null;

  constructor(
    private readonly transport: ByteTransport,
    options: ProtocolDeviceOptions = {},
  ) {
    this.reconnectPolicy = options.reconnect ?? null;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 1000;
    this.infoTimeoutMs = options.infoTimeoutMs ?? 2000;
    this.nowMs = options.nowMs ?? Date.now;
    this.stimulationGapTimeoutMs = options.stimulationGapTimeoutMs ?? 5000;
    this.stimulationRetransmitMs = options.stimulationRetransmitMs ?? STIMULATION_RETRANSMIT_MS;
    if (!(Number.isFinite(this.stimulationRetransmitMs) && this.stimulationRetransmitMs > 0)) throw new RangeError(`stimulationRetransmitMs must be positive, got ${this.stimulationRetransmitMs}`);
    if (this.reconnectPolicy) {
      const p = this.reconnectPolicy;
      if (!(p.initialDelayMs > 0) || !(p.maxDelayMs >= p.initialDelayMs) || !((p.factor ?? 2) >= 1)) throw new RangeError('reconnect policy needs 0 < initialDelayMs <= maxDelayMs and factor >= 1');
    }
  }

  get info(): ProtocolDeviceInfo | null {
    return this.infoValue;
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  counters(): LinkCounters {
    return this.decoder.counters();
  }

  on<K extends keyof DeviceEvents>(event: K, listener: DeviceEvents[K]): Disposer {
    const set = this.listeners[event] as Set<DeviceEvents[K]>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Opens the link and waits until the device has announced itself (DEVICE_INFO). */
  async open(): Promise<void> {
    if (this.stateValue !== 'closed' && this.stateValue !== 'disconnected') throw new Error(`cannot open a device that is ${this.stateValue}`);
    this.cancelReconnect();
    this.setState('opening');
    this.attachTransport();
    try {
      await this.transport.open();
    } catch (e) {
      this.detachTransport();
      this.setState('closed', errorText(e));
      throw e;
    }
    this.setState('open');
    try {
      await this.requestInfo();
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Deliberate close: pending commands fail, no reconnection follows. */
  async close(): Promise<void> {
    this.cancelReconnect();
    this.failPending('link-lost', 'device closed');
    const wasOpen = this.stateValue === 'open' || this.stateValue === 'opening';
    this.streaming = false;
    this.flushHeldStimulations();
    this.setState('closed', 'deliberate');
    if (wasOpen) {
      try {
        await this.transport.close();
      } catch (e) {
        this.emit('error', `closing the port failed: ${errorText(e)}`);
      }
    }
    this.detachTransport();
  }

  /** Sends a command and resolves when the device acknowledges it (PONG for ping). */
  async send(command: HostCommand): Promise<void> {
    if (this.stateValue !== 'open') throw new DeviceCommandError(`device is ${this.stateValue}, cannot send ${command.type}`, 'not-open');
    if ((command.type === 'set-stimulation' || command.type === 'trigger') && this.infoValue && !this.infoValue.canStimulate) {
      throw new DeviceCommandError(`${this.infoValue.model} cannot stimulate`, 'unsupported');
    }
    const { bytes, seq } = this.encoder.command(command);
    const acked = this.await(seq, command.type);
    try {
      await this.transport.write(bytes);
    } catch (e) {
      this.forget(seq);
      acked.catch(() => {});
      throw e;
    }
    await acked;
    if (command.type === 'start') this.streaming = true;
    if (command.type === 'stop') this.streaming = false;
  }

  // ------------------------------------------------------------------------------------------

  private attachTransport(): void {
    if (this.transportDisposers.length > 0) return;
    this.transportDisposers = [
      this.transport.onData((bytes) => this.decoder.push(bytes, (m) => this.handle(m))),
      this.transport.onClose((reason, detail) => this.onTransportClose(reason, detail)),
    ];
  }

  private detachTransport(): void {
    for (const d of this.transportDisposers) d();
    this.transportDisposers = [];
  }

  private async requestInfo(): Promise<void> {
    const { bytes } = this.encoder.getInfo();
    const got = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.infoWaiters = this.infoWaiters.filter((w) => w !== waiter);
        reject(new DeviceCommandError(`no DEVICE_INFO within ${this.infoTimeoutMs} ms: is this an sdrlog-protocol device?`, 'timeout'));
      }, this.infoTimeoutMs);
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.infoWaiters.push(waiter);
    });
    try {
      await this.transport.write(bytes);
    } catch (e) {
      got.catch(() => {});
      throw e;
    }
    await got;
  }

  private await(seq: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new DeviceCommandError(`${what}: no answer from the device within ${this.ackTimeoutMs} ms`, 'timeout'));
      }, this.ackTimeoutMs);
      this.pending.set(seq, { resolve, reject, timer, what });
    });
  }

  /** Drops a pending command whose bytes never left (its promise is abandoned by the caller). */
  private forget(seq: number): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    clearTimeout(p.timer);
  }

  private settle(seq: number, result: AckResult): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    if (result === 'ok') p.resolve();
    else p.reject(new DeviceCommandError(`${p.what} refused by the device: ${result}`, result));
  }

  private failPending(result: 'link-lost', why: string): void {
    for (const [seq, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new DeviceCommandError(`${p.what}: ${why}`, result));
      this.pending.delete(seq);
    }
  }

  private handle(m: DeviceMessage): void {
    if (this.pendingLoss !== null && m.kind !== 'frames-lost') {
      const loss = this.pendingLoss;
      this.pendingLoss = null;
      const samplesFrameOnly = loss.count === 1 && m.kind === 'gap' && m.gap.reason === 'sequence-gap';
      if (!samplesFrameOnly) this.holdConfirmation(loss.at);
    }
    switch (m.kind) {
      case 'info': {
        const i = m.info;
        this.infoValue = {
          model: i.model, firmware: i.firmware, channelCount: i.channelCount, sampleRateHz: i.sampleRateHz, canStimulate: i.canStimulate,
          confirmsStimulations: i.reliableStimulations === true, gainUvPerCount: i.gainUvPerCount, sampleFormat: i.sampleFormat,
        };
        const waiters = this.infoWaiters;
        this.infoWaiters = [];
        for (const w of waiters) w(this.infoValue);
        this.emit('info', this.infoValue);
        return;
      }
      case 'block': {
        const b = m.block;
        this.placeBlock(b.startSample, b.sampleRateHz);
        const block = { ...b, startSample: b.startSample + this.offset };
        this.hostNextSample = block.startSample + block.samplesPerChannel;
        this.lastBlockAtMs = this.nowMs();
        this.lastSampleRateHz = b.sampleRateHz;
        if (this.holdAtNextBlock) {
          this.holdAtNextBlock = false;
          this.holdConfirmation(block.startSample);
        }
        this.emit('block', block);
        this.confirmStimulations();
        return;
      }
      case 'gap':
        this.emit('gap', { ...m.gap, startSample: m.gap.startSample + this.offset });
        return;
      case 'index-restart':
        this.holdConfirmation(this.hostNextSample);
        this.emit('error', `device sample counter restarted (expected ${m.expectedSample}, got ${m.startSample}); the stream continues without overlap`);
        return;
      case 'stimulation':
        if (m.number === null) this.emitStimulation(m.event);
        else this.onNumberedStimulation(m.number, m.event);
        return;
      case 'status': {
        const channels: readonly ChannelStatus[] = m.status.channels;
        this.emit('status', channels);
        if (m.status.stimulatorFaults.length > 0) this.emit('error', `stimulator fault: ${m.status.stimulatorFaults.join(', ')}`);
        return;
      }
      case 'device-error':
        this.emit('error', `device error ${m.error.code}: ${m.error.message}`);
        return;
      case 'ack':
        this.settle(m.ack.ackedSeq, m.ack.result);
        return;
      case 'pong':
        this.settle(m.token & 0xffff, 'ok');
        return;
      case 'frames-lost':
        // the lost frame may have been a STIMULATION: no confirmation until its retransmission can have come
        // (unless the next message shows it was one SAMPLES frame; judged above)
        if (this.pendingLoss !== null) this.holdConfirmation(this.pendingLoss.at);
        this.pendingLoss = { count: m.count, at: this.hostNextSample };
        this.emit('error', `${m.count} frame(s) lost on the link: a stimulation or status message may be missing`);
        return;
      case 'protocol-error':
        this.emit('error', `protocol error (message type 0x${m.messageType.toString(16).padStart(2, '0')}): ${m.message}`);
        return;
    }
  }

  /**
   * Chooses the offset for a block starting at device index `deviceStart`. After a lost link the
   * missing interval becomes a 'disconnected' gap: measured by the device's own index when it kept
   * counting, estimated from the wall clock when its counter restarted. A restart without a lost
   * link continues seamlessly after the last sample, with a gap only if wall-clock time says samples
   * are missing.
   */
  private placeBlock(deviceStart: number, sampleRateHz: number): void {
    if (this.hostNextSample === null) {
      this.lostLinkAtMs = null;
      return;
    }
    const expectedHost = this.hostNextSample;
    const hostStart = deviceStart + this.offset;
    if (this.lostLinkAtMs !== null) {
      const estimated = Math.max(0, Math.round(((this.nowMs() - this.lastBlockAtMs) / 1000) * sampleRateHz));
      const length = hostStart >= expectedHost ? hostStart - expectedHost : estimated;
      if (hostStart < expectedHost) this.offset = expectedHost + estimated - deviceStart;
      this.lostLinkAtMs = null;
      if (length > 0) {
        this.decoder.addSamplesLost(length);
        this.emitGap({ startSample: expectedHost, lengthSamples: length, reason: 'disconnected' });
      }
    } else if (hostStart < expectedHost) {
      // the decoder already reported 'index-restart'; continue right after the last sample
      this.offset = expectedHost - deviceStart;
    }
  }

  private emitStimulation(event: StimulationEvent): void {
    this.emit('stimulation', { sampleIndex: event.sampleIndex + this.offset, stimulation: event.stimulation });
  }

  /**
   * A numbered STIMULATION (protocol 1.1): acknowledged every time it arrives (an earlier ACK may have
   * been lost), emitted exactly once, in number order. One arriving ahead of a missing number is held
   * until the device's retransmission fills the gap; a gap still open after `stimulationGapTimeoutMs`
   * of open link is reported naming the missing numbers, and the held ones are emitted. A number
   * below the next expected one is a retransmission when it was emitted with the same sample index,
   * a device restart (numbering from 1 again) when it was emitted with another one, and otherwise a
   * stimulation never emitted (reported lost and arriving late): it is emitted at once. The host
   * expects #1 first; attached to a device that numbered stimulations for another host before, it
   * reports those numbers missing once, after the timeout.
   */
  private onNumberedStimulation(number: number, event: StimulationEvent): void {
    this.sendStimulationAck(number);
    if (this.stimNext !== null && number < this.stimNext) {
      const seenAt = this.stimRecent.get(number);
      if (seenAt === event.sampleIndex) return; // a retransmission
      if (seenAt === undefined) {
        this.emit('error', `stimulation #${number} arrived late (after later stimulations); recorded now`);
        this.rememberStimulation(number, event);
        return;
      }
      // numbering restarted: the device powered up again
      this.flushHeldStimulations();
      this.stimRecent.clear();
      this.stimNext = null;
    }
    if (this.stimNext === null) this.stimNext = number;
    if (this.stimHeld.has(number)) return; // a retransmission of one already held
    this.stimHeld.set(number, event);
    this.drainStimulations();
    this.confirmStimulations(); // a retransmission that closed a number gap
  }

  /**
   * Holds the confirmation of stimulation reports back (a frame or the link was lost at host sample `from`;
   * null: at the next block) until the stream has advanced CONFIRM_HOLD_RETRANSMISSIONS retransmission
   * intervals past it, so a lost STIMULATION's retransmission arrives before its pulse is confirmed.
   */
  private holdConfirmation(from: number | null): void {
    if (from === null) {
      this.holdAtNextBlock = true;
      return;
    }
    const fs = this.lastSampleRateHz || this.infoValue?.sampleRateHz || 0;
    const until = from + Math.ceil((CONFIRM_HOLD_RETRANSMISSIONS * this.stimulationRetransmitMs * fs) / 1000);
    this.confirmHoldUntil = Math.max(this.confirmHoldUntil ?? until, until);
  }

  /**
   * A device that confirms (1.1) has sent every stimulation before the SAMPLES frame of its first pulse, so
   * after each block every stimulation starting before the block's end has been emitted: confirmed, unless
   * a hold is running (a loss) or a number gap is open (stimulations held for a retransmission).
   */
  private confirmStimulations(): void {
    if (this.infoValue?.confirmsStimulations !== true || this.hostNextSample === null || this.holdAtNextBlock) return;
    const to = this.hostNextSample;
    if (this.confirmHoldUntil !== null) {
      if (to < this.confirmHoldUntil) return;
      this.confirmHoldUntil = null;
    }
    if (this.stimHeld.size > 0) return;
    if (this.confirmedTo !== null && to <= this.confirmedTo) return;
    this.confirmedTo = to;
    this.emit('stimulations-confirmed', to);
  }

  private drainStimulations(): void {
    for (let e = this.stimHeld.get(this.stimNext!); e !== undefined; e = this.stimHeld.get(this.stimNext!)) {
      this.stimHeld.delete(this.stimNext!);
      this.rememberStimulation(this.stimNext!, e);
      this.stimNext = this.stimNext! + 1;
    }
    this.armStimulationGapTimer();
  }

  private rememberStimulation(number: number, event: StimulationEvent): void {
    this.stimRecent.set(number, event.sampleIndex);
    if (this.stimRecent.size > RECENT_STIMULATIONS) this.stimRecent.delete(this.stimRecent.keys().next().value!);
    this.emitStimulation(event);
  }

  /** Runs while stimulations are held and the link is open; cancelled otherwise. */
  private armStimulationGapTimer(): void {
    if (this.stimHeld.size === 0 || this.stateValue !== 'open') {
      if (this.stimGapTimer) clearTimeout(this.stimGapTimer);
      this.stimGapTimer = null;
      return;
    }
    if (this.stimGapTimer) return;
    this.stimGapTimer = setTimeout(() => {
      this.stimGapTimer = null;
      this.skipStimulationGap();
    }, this.stimulationGapTimeoutMs);
  }

  /** Gives up waiting for the lowest missing stimulation numbers: reports them, emits what follows. */
  private skipStimulationGap(): void {
    if (this.stimHeld.size === 0 || this.stimNext === null) return;
    const first = this.stimNext;
    const upTo = Math.min(...this.stimHeld.keys());
    const which = upTo - first === 1 ? `stimulation #${first}` : `stimulations #${first}-#${upTo - 1}`;
    this.emit('error', `${which} never arrived (lost on the link, not retransmitted within ${this.stimulationGapTimeoutMs} ms): missing from the record`);
    this.stimNext = upTo;
    this.drainStimulations();
    this.confirmStimulations();
  }

  /** Emits held stimulations in number order, reporting the gaps before them (close, device restart). */
  private flushHeldStimulations(): void {
    while (this.stimHeld.size > 0) this.skipStimulationGap();
    if (this.stimGapTimer) clearTimeout(this.stimGapTimer);
    this.stimGapTimer = null;
  }

  private sendStimulationAck(number: number): void {
    if (this.stateValue !== 'open') return;
    const { bytes } = this.encoder.stimulationAck(number);
    this.transport.write(bytes).catch((e: unknown) => this.emit('error', `acknowledging stimulation #${number} failed: ${errorText(e)}`));
  }

  private emitGap(gap: SampleGap): void {
    this.emit('gap', gap);
  }

  private onTransportClose(reason: 'deliberate' | 'disconnected', detail?: string): void {
    if (reason === 'deliberate' || this.stateValue === 'closed') return;
    this.failPending('link-lost', `link lost${detail ? ` (${detail})` : ''}`);
    this.lostLinkAtMs = this.nowMs();
    this.holdConfirmation(null);
    this.setState('disconnected', detail ?? 'link lost');
    if (this.reconnectPolicy) {
      this.reconnectAttempt = 0;
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    const p = this.reconnectPolicy;
    if (!p) return;
    if (p.maxAttempts !== undefined && this.reconnectAttempt >= p.maxAttempts) {
      this.setState('disconnected', `gave up after ${this.reconnectAttempt} reconnection attempts`);
      return;
    }
    const delay = Math.min(p.maxDelayMs, p.initialDelayMs * (p.factor ?? 2) ** this.reconnectAttempt);
    this.reconnectAttempt++;
    this.setState('reconnecting', `attempt ${this.reconnectAttempt} in ${Math.round(delay)} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.tryReconnect();
    }, delay);
  }

  private async tryReconnect(): Promise<void> {
    try {
      await this.transport.open();
    } catch {
      if (this.stateValue === 'reconnecting') this.scheduleReconnect();
      return;
    }
    if (this.stateValue !== 'reconnecting') {
      // closed deliberately while the port was opening
      await this.transport.close().catch(() => {});
      return;
    }
    this.decoder.resetLink();
    this.decoder.forgetSampleTracking();
    this.setState('open', 'reconnected');
    try {
      await this.requestInfo();
      if (this.streaming) await this.send({ type: 'start' });
    } catch (e) {
      this.emit('error', `after reconnecting: ${errorText(e)}`);
    }
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private setState(state: ConnectionState, reason?: string): void {
    if (state === this.stateValue && state !== 'reconnecting') return;
    this.stateValue = state;
    this.armStimulationGapTimer();
    this.emit('connection', state, reason);
  }

  private emit<K extends keyof DeviceEvents>(event: K, ...args: Parameters<DeviceEvents[K]>): void {
    for (const listener of this.listeners[event]) {
      try {
        (listener as (...a: Parameters<DeviceEvents[K]>) => void)(...args);
      } catch (e) {
        // a faulty listener must not stop decoding; report it unless it is an error listener
        if (event !== 'error') this.emit('error', `a '${event}' listener failed: ${errorText(e)}`);
      }
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

