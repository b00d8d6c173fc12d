import { EmgSynthesizer } from '../hardware/simulated/emg';
import { SimulatedFirmware } from '../hardware/simulated/firmware';
import { createVirtualPatient } from '../hardware/simulated/patient';
import { simulateSession } from '../hardware/simulated/session';

/**
 * Simulator generation speed: 16 channels at 10 kHz must run well above real time (target >= 50x),
 * so corpora build quickly and the live simulated device costs little CPU.
 */
export async function run(): Promise<void> {
  const seconds = 120;
  // A scripted session (ramps, trains, after-discharges) in 100 ms blocks.
  const session = simulateSession({ seed: 1, levels: ['L4', 'L5', 'S1'], sides: ['L', 'R'], durationS: seconds });
  let t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let samples = 0;
  for (const b of session.blocks(1000)) samples += b.samplesPerChannel;
  let dt = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const sessionSpeed = samples / session.sampleRateHz / dt;
  console.log(`session synthesis, 16 ch x 10 kHz, ${seconds} s with ${session.events.length} stimulations: ${dt.toFixed(2)} s wall = ${sessionSpeed.toFixed(0)}x real time (target >= 50x) ${sessionSpeed >= 50 ? 'OK' : 'BELOW TARGET'}`);
  // On a shared, loaded machine the wall-clock figure understates; CPU time shows the code's own cost.
  console.log(`  per CPU second: ${(samples / session.sampleRateHz / cpuS).toFixed(0)}x real time (${cpuS.toFixed(2)} s CPU)`);

  // Background only, small blocks (the firmware's 10 ms frames).
  const synth = new EmgSynthesizer({ patient: createVirtualPatient({ seed: 2 }) });
  t0 = performance.now();
  for (let i = 0; i < seconds * 100; i++) synth.generate(100);
  dt = (performance.now() - t0) / 1000;
  console.log(`background EMG in 10 ms blocks: ${(seconds / dt).toFixed(0)}x real time`);

  // Firmware: synthesis plus wire encoding of every frame.
  const fw = new SimulatedFirmware({ seed: 3 });
  let bytes = 0;
  fw.onOutput((b) => (bytes += b.length));
  fw.receive(new Uint8Array([0xa5, 0x5a, 0x01, 0x81, 0x00, 0x00, 0x00, 0x00, 0xdc, 0x48, 0x8d, 0x92, 0x61])); // START, seq 0
  t0 = performance.now();
  fw.advanceSamples(seconds * 10_000);
  dt = (performance.now() - t0) / 1000;
  console.log(`firmware (synthesis + framing), ${(bytes / seconds / 1024).toFixed(0)} KiB/s on the wire: ${(seconds / dt).toFixed(0)}x real time`);
}
