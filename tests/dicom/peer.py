"""pynetdicom/pydicom side of the DICOM connector tests (run with the venv that
tests/dicom/install-peers.sh makes). pynetdicom's own CLI tools exit 0 even on failure, so this
script prints what happened and exits non-zero itself on any failure.

  peer.py data OUTDIR            test instances + OUTDIR/manifest.json (synthetic patients only)
  peer.py big OUTFILE MEGABYTES  one large single-frame-per-MB multi-frame instance
  peer.py many OUTDIR N          N small CT instances (one study) for throughput figures
  peer.py echo PORT CALLED CALLING
  peer.py store PORT CALLED CALLING FILE...   prints "STORED <sop uid> 0x<status>" per file
  peer.py abort PORT CALLED CALLING FILE      starts a C-STORE, aborts when a line arrives on stdin
"""

import json
import os
import sys
import threading

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

BUNDLED = ["CT_small.dcm", "MR_small.dcm", "MR_small_jp2klossless.dcm", "SC_rgb_rle.dcm",
           "JPEG2000.dcm"]


def describe(path):
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return {
        "file": os.path.basename(path),
        "sop_instance_uid": str(ds.SOPInstanceUID),
        "sop_class_uid": str(ds.SOPClassUID),
        "study_instance_uid": str(ds.StudyInstanceUID),
        "series_instance_uid": str(ds.SeriesInstanceUID),
        "patient_id": str(ds.get("PatientID", "")) or None,
        "accession_number": str(ds.get("AccessionNumber", "")) or None,
        "modality": str(ds.get("Modality", "")) or None,
        "study_date": str(ds.get("StudyDate", "")) or None,
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
    }


def strip_padding(ds):
    """Drops Data Set Trailing Padding, which dcmtk's storescu does not send."""
    if (0xFFFC, 0xFFFC) in ds:
        del ds[0xFFFC, 0xFFFC]
    return ds


def synthetic(ds, study, series, number, accession="ACC0001", ts=ExplicitVRLittleEndian):
    """Re-identifies a copy with new UIDs and a synthetic patient."""
    strip_padding(ds)
    ds.PatientName = "TEST^DICOM"
    ds.PatientID = "K999001"
    ds.AccessionNumber = accession
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.SOPInstanceUID = generate_uid()
    ds.InstanceNumber = number
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ts
    return ds


def multiframe(path, frames=8, rows=64, cols=64, study=None):
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4.1"  # Enhanced MR Image Storage
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.Modality = "MR"
    synthetic(ds, study or generate_uid(), generate_uid(), 1, "ACC0002")
    ds.Rows, ds.Columns = rows, cols
    ds.NumberOfFrames = frames
    ds.PixelData = bytes((i * 7) % 251 for i in range(rows * cols * 2)) * frames
    ds.save_as(path, enforce_file_format=True)


def data(outdir):
    os.makedirs(outdir, exist_ok=True)
    files = []
    for name in BUNDLED:
        src = get_testdata_file(name, download=False)
        if not src:
            sys.exit(f"pydicom test file {name} is not bundled")
        ds = strip_padding(pydicom.dcmread(src))
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            ds["PixelData"].VR = "OB"  # encapsulated pixel data is OB (one bundled file says OW)
        if name == "MR_small_jp2klossless.dcm":
            # The bundled file is MR_small compressed: same SOP Instance UID. Give it its own.
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(os.path.join(outdir, name), enforce_file_format=True)
        files.append(name)
    multiframe(os.path.join(outdir, "multiframe.dcm"))
    files.append("multiframe.dcm")
    # An implicit VR little endian instance.
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    synthetic(ds, generate_uid(), generate_uid(), 1, "ACC0003", ImplicitVRLittleEndian)
    ds.save_as(os.path.join(outdir, "implicit.dcm"), enforce_file_format=True)
    files.append("implicit.dcm")
    # One study: two CT series (2 + 1 instances) and a later extra instance.
    study = generate_uid()
    s1, s2 = generate_uid(), generate_uid()
    for i, (series, name) in enumerate([(s1, "study_1.dcm"), (s1, "study_2.dcm"),
                                        (s2, "study_3.dcm"), (s2, "study_4.dcm")]):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        synthetic(ds, study, series, i + 1, "ACC0100")
        ds.StudyDate = "20260102"
        ds.save_as(os.path.join(outdir, name), enforce_file_format=True)
        files.append(name)
    manifest = {f: describe(os.path.join(outdir, f)) for f in files}
    with open(os.path.join(outdir, "manifest.json"), "w") as out:
        json.dump(manifest, out, indent=1)


def big(path, megabytes):
    frame = 1024 * 1024  # one MiB per frame: 512 x 1024 x 16 bit
    multiframe(path, frames=megabytes, rows=512, cols=1024)
    print(os.path.getsize(path), frame)


def many(outdir, n):
    os.makedirs(outdir, exist_ok=True)
    study, series = generate_uid(), generate_uid()
    base = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for i in range(n):
        synthetic(base, study, series, i + 1, "ACC0200")
        base.save_as(os.path.join(outdir, f"ct_{i:05}.dcm"), enforce_file_format=True)


def associate(port, called, calling, contexts):
    from pynetdicom import AE
    ae = AE(ae_title=calling)
    ae.acse_timeout = 30
    ae.dimse_timeout = 120
    ae.network_timeout = 120
    for sop_class, ts in contexts:
        ae.add_requested_context(sop_class, ts)
    assoc = ae.associate("127.0.0.1", int(port), ae_title=called)
    if assoc.is_rejected:
        print("REJECTED")
        sys.exit(2)
    if not assoc.is_established:
        print("NOT-ESTABLISHED")
        sys.exit(3)
    return assoc


def contexts_for(paths):
    out = []
    for p in paths:
        ds = pydicom.dcmread(p, stop_before_pixels=True)
        pair = (str(ds.SOPClassUID), [str(ds.file_meta.TransferSyntaxUID)])
        if pair not in out:
            out.append(pair)
    return out


def echo(port, called, calling):
    assoc = associate(port, called, calling, [("1.2.840.10008.1.1", [ImplicitVRLittleEndian])])
    status = assoc.send_c_echo()
    assoc.release()
    code = status.Status if status else None
    print(f"ECHO 0x{code:04X}" if code is not None else "ECHO none")
    sys.exit(0 if code == 0 else 1)


def store(port, called, calling, paths):
    assoc = associate(port, called, calling, contexts_for(paths))
    ok = True
    for p in paths:
        uid = str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
        status = assoc.send_c_store(p)  # a path: the data set is sent as stored, not re-encoded
        code = status.Status if status else None
        print(f"STORED {uid} " + (f"0x{code:04X}" if code is not None else "none"), flush=True)
        ok = ok and code == 0
    assoc.release()
    sys.exit(0 if ok else 1)


def abort(port, called, calling, path):
    assoc = associate(port, called, calling, contexts_for([path]))
    t = threading.Thread(target=lambda: assoc.send_c_store(path), daemon=True)
    t.start()
    print("SENDING", flush=True)
    sys.stdin.readline()
    assoc.abort()
    print("ABORTED", flush=True)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "data":
        data(args[0])
    elif cmd == "big":
        big(args[0], int(args[1]))
    elif cmd == "many":
        many(args[0], int(args[1]))
    elif cmd == "echo":
        echo(*args[:3])
    elif cmd == "store":
        store(args[0], args[1], args[2], args[3:])
    elif cmd == "abort":
        abort(*args[:4])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
