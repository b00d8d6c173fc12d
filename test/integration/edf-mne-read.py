"""Reads an EDF+ file with MNE and prints what it sees as JSON (used by edf-crosscheck.test.ts).

Usage: /usr/bin/python3 edf-mne-read.py FILE.edf [sample_stride]
Data are returned in microvolts, every `sample_stride`-th sample (default 1).
"""
import json
import sys

import mne

path = sys.argv[1]
stride = int(sys.argv[2]) if len(sys.argv) > 2 else 1
raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
data = raw.get_data() * 1e6
out = {
    "mne_version": mne.__version__,
    "ch_names": raw.ch_names,
    "ch_types": raw.get_channel_types(),
    "sfreq": float(raw.info["sfreq"]),
    "n_times": int(raw.n_times),
    "data_uv": [[float(v) for v in row[::stride]] for row in data],
    "annotations": [
        {"onset": float(a["onset"]), "duration": float(a["duration"]), "description": a["description"]}
        for a in raw.annotations
    ],
}
json.dump(out, sys.stdout)
