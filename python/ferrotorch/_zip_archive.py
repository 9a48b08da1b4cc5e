"""The container of ``torch.save`` files: a zip archive whose records all sit
in one top-level folder (``<name>/data.pkl``, ``<name>/data/0`` ...).

Records are stored uncompressed and each one's bytes start 64-byte aligned, as
PyTorch writes them, so they can be memory-mapped. Read failures become
PyTorch's "PytorchStreamReader failed ..." RuntimeErrors."""
import struct
import zipfile
import zlib

_ALIGNMENT = 64
_PAD_FIELD_ID = 0x4246  # "FB", the extra-field id PyTorch pads with
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's own layout (30 bytes)
_CORRUPT = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, zlib.error,
            struct.error, NotImplementedError)


def _corrupt(what, err):
    return RuntimeError(
        f"PytorchStreamReader failed {what}: {err}. The checkpoint file is probably corrupted or "
        "truncated (it was not saved completely, or was damaged in transfer)."
    )


class ArchiveWriter:
    def __init__(self, fileobj, archive_name):
        self._zip = zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED, allowZip64=True)
        self._prefix = archive_name + "/"

    def write(self, name, data):
        data = memoryview(data).cast("B")
        info = zipfile.ZipInfo(self._prefix + name, date_time=(1980, 1, 1, 0, 0, 0))
        info.file_size = len(data)
        # zipfile adds a 20-byte zip64 field to the local header by this rule
        zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT
        header_end = (self._zip.fp.tell() + _LOCAL_HEADER.size + len(info.filename.encode("utf-8"))
                      + 4 + (20 if zip64 else 0))
        pad = -header_end % _ALIGNMENT
        info.extra = struct.pack("<HH", _PAD_FIELD_ID, pad) + b"Z" * pad
        with self._zip.open(info, "w", force_zip64=zip64) as out:
            out.write(data)

    def close(self):
        self._zip.close()

    def abandon(self):
        """Drops a failed archive without writing its central directory."""
        self._zip.fp = None


class ArchiveReader:
    def __init__(self, fileobj):
        self._file = fileobj
        try:
            self._zip = zipfile.ZipFile(fileobj)
            names = self._zip.namelist()
        except _CORRUPT as e:
            raise _corrupt("reading zip archive: failed finding central directory", e) from None
        if not names:
            raise _corrupt("reading zip archive", "the archive has no records")
        # every record lives under the folder of the first one
        self._prefix = names[0].split("/", 1)[0] + "/" if "/" in names[0] else ""
        self._infos = {n[len(self._prefix):]: self._zip.getinfo(n) for n in names if n.startswith(self._prefix)}
        self._check_no_overlap()

    def _check_no_overlap(self):
        # Records whose bytes overlap could make a small file claim unbounded
        # memory (a "zip bomb"); torch.save never writes them.
        infos = sorted(self._zip.infolist(), key=lambda i: i.header_offset)
        for cur, nxt in zip(infos, infos[1:]):
            end = cur.header_offset + _LOCAL_HEADER.size + len(cur.orig_filename.encode("utf-8")) + cur.compress_size
            if nxt.header_offset < end:
                raise _corrupt("reading zip archive", f"records {cur.filename} and {nxt.filename} overlap")

    def close(self):
        self._zip.close()

    def has(self, name):
        return name in self._infos

    def _info(self, name):
        info = self._infos.get(name)
        if info is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found")
        return info

    def size(self, name):
        return self._info(name).file_size

    def stored(self, name):
        return self._info(name).compress_type == zipfile.ZIP_STORED

    def read(self, name):
        try:
            return self._zip.read(self._info(name))
        except _CORRUPT as e:
            raise _corrupt(f"reading file {name}", e) from None

    def check(self, name, nbytes):
        """Checks, before anything is allocated for it, that the record holds
        ``nbytes`` bytes and that the file really contains them."""
        info = self._info(name)
        if info.file_size != nbytes:
            raise _corrupt(f"reading file {name}", f"the record holds {info.file_size} bytes, "
                           f"the checkpoint's index expects {nbytes}")
        if info.compress_type == zipfile.ZIP_STORED:
            self.data_offset(name)
        elif info.file_size > 1032 * info.compress_size + 1024:  # deflate expands at most ~1032x
            raise _corrupt(f"reading file {name}", "the record claims more bytes than its compressed data can hold")

    def read_into(self, name, out):
        """Fills the byte view ``out`` with the record (``check`` it first)."""
        info = self._info(name)
        try:
            with self._zip.open(info) as src:
                done = 0
                while done < len(out):
                    n = src.readinto(out[done:done + (1 << 24)])
                    if not n:
                        raise EOFError("unexpected end of record")
                    done += n
                src.read(1)  # reaching the end makes zipfile check the CRC-32
        except _CORRUPT as e:
            raise _corrupt(f"reading file {name}", e) from None

    def data_offset(self, name):
        """Where a stored record's bytes start in the file (checked to lie within it)."""
        info = self._info(name)
        try:
            self._file.seek(info.header_offset)
            header = _LOCAL_HEADER.unpack(self._file.read(_LOCAL_HEADER.size))
            if header[0] != zipfile.stringFileHeader:
                raise zipfile.BadZipFile("bad local file header")
            start = info.header_offset + _LOCAL_HEADER.size + header[-2] + header[-1]
            end = self._file.seek(0, 2)
        except _CORRUPT as e:
            raise _corrupt(f"reading file {name}", e) from None
        if info.compress_type != zipfile.ZIP_STORED:
            raise _corrupt(f"reading file {name}", "the record is compressed")
        if start + info.file_size > end:
            raise _corrupt(f"reading file {name}", "the record's data lies outside the file")
        return start
