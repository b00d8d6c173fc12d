#!/usr/bin/python3
"""Reference vectors for the pipeline filters, computed ONCE with scipy and committed.

Run with Debian's python (it has scipy):  /usr/bin/python3 tools/make-filter-fixtures.py
Writes test/fixtures/filters/coefficients.json and test/fixtures/filters/outputs.json.

The TypeScript filters design their own second-order sections (bilinear transform with pre-warping);
these files let the tests compare them with scipy.signal.butter(..., output='sos'), iirnotch and sosfilt.
"""
import json
import os

import numpy as np
import scipy
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'filters')


def butter_case(kind, order, cutoff_hz, fs):
    sos = signal.butter(order, cutoff_hz, btype=kind, fs=fs, output='sos')
    return {
        'type': 'butter', 'kind': kind, 'order': order, 'cutoffHz': cutoff_hz, 'sampleRateHz': fs,
        'sos': [list(map(float, row)) for row in sos],
    }


def notch_case(freq_hz, q, fs):
    b, a = signal.iirnotch(freq_hz, q, fs=fs)
    return {
        'type': 'notch', 'freqHz': freq_hz, 'q': q, 'sampleRateHz': fs,
        'sos': [list(map(float, b)) + list(map(float, a))],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    coeff_cases = []
    for fs in (1000, 5000, 10000, 20000, 50000):
        for order in range(1, 9):
            coeff_cases.append(butter_case('highpass', order, 10.0, fs))
            lp = min(2000.0, 0.45 * fs)
            coeff_cases.append(butter_case('lowpass', order, lp, fs))
        coeff_cases.append(butter_case('highpass', 4, 30.0, fs))
        coeff_cases.append(butter_case('lowpass', 2, 300.0, fs))
        for f0 in (50.0, 60.0):
            for q in (10.0, 30.0):
                coeff_cases.append(notch_case(f0, q, fs))
        coeff_cases.append(notch_case(150.0, 30.0, fs))

    # One deterministic input, float32-representable so the TS side feeds exactly the same values.
    rng = np.random.default_rng(20240611)
    n = 1500
    fs_in = 10000.0
    t = np.arange(n) / fs_in
    x = (40.0 * rng.standard_normal(n) + 300.0 * np.sin(2 * np.pi * 50.0 * t) + 150.0
         + 80.0 * np.sin(2 * np.pi * 900.0 * t))
    x[700:705] += 4000.0  # an artifact-like step, to exercise ringing
    x = x.astype(np.float32).astype(np.float64)

    output_cases = []
    specs = [
        ('bandpass 10-2000 Hz (HP2 + LP4) at 10 kHz', [('highpass', 2, 10.0), ('lowpass', 4, 2000.0)], [], 10000.0),
        ('bandpass 10-2000 Hz (HP2 + LP4) at 5 kHz', [('highpass', 2, 10.0), ('lowpass', 4, 2000.0)], [], 5000.0),
        ('bandpass 20-1500 Hz (HP3 + LP5) at 20 kHz', [('highpass', 3, 20.0), ('lowpass', 5, 1500.0)], [], 20000.0),
        ('highpass 10 Hz order 8 at 10 kHz', [('highpass', 8, 10.0)], [], 10000.0),
        ('notch 50 Hz Q30 at 10 kHz', [], [(50.0, 30.0)], 10000.0),
        ('bandpass + notch 50/100/150 Q30 at 10 kHz', [('highpass', 2, 10.0), ('lowpass', 4, 2000.0)],
         [(50.0, 30.0), (100.0, 30.0), (150.0, 30.0)], 10000.0),
    ]
    for name, butters, notches, fs in specs:
        rows = []
        for kind, order, fc in butters:
            rows.extend(signal.butter(order, fc, btype=kind, fs=fs, output='sos'))
        for f0, q in notches:
            b, a = signal.iirnotch(f0, q, fs=fs)
            rows.append(np.concatenate([b, a]))
        sos = np.array(rows)
        y = signal.sosfilt(sos, x)
        output_cases.append({
            'name': name,
            'sampleRateHz': fs,
            'butter': [{'kind': k, 'order': o, 'cutoffHz': c} for k, o, c in butters],
            'notch': [{'freqHz': f, 'q': q} for f, q in notches],
            'output': [float('%.12g' % v) for v in y],
        })

    meta = {'generator': 'tools/make-filter-fixtures.py', 'scipy': scipy.__version__, 'numpy': np.__version__}
    with open(os.path.join(OUT, 'coefficients.json'), 'w') as f:
        json.dump({**meta, 'cases': coeff_cases}, f, separators=(',', ':'))
    with open(os.path.join(OUT, 'outputs.json'), 'w') as f:
        json.dump({**meta, 'input': [float(v) for v in x], 'cases': output_cases}, f, separators=(',', ':'))


if __name__ == '__main__':
    main()
