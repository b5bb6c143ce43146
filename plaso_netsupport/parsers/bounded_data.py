"""A bounded, read-on-demand view of a file that slices like bytes.

Readers written for bytes (the PE readers here) can read a file object
through it without loading the file whole, and without a damaged file's
declared sizes making them read or allocate gigabytes.
"""

import os


class ReadLimitExceeded(Exception):
    """Raised when a bounded read would go beyond its limit."""


class BoundedDataSlice:
    """Read-on-demand view of a file object with a read budget.

    It slices like bytes, reads only the ranges asked for, refuses a single
    read above maximum_read_size and stops once maximum_total_size bytes have
    been read, so that declared sizes in a damaged file cannot make a reader
    read (or allocate) gigabytes. Blocks read with Preload() (the headers,
    the resource section) serve later slices from memory.
    """

    def __init__(self, file_object, file_size, maximum_read_size, maximum_total_size):
        """Initializes the data slice.

        Args:
          file_object (dfvfs.FileIO): file-like object.
          file_size (int): size of the file.
          maximum_read_size (int): largest single read, in bytes.
          maximum_total_size (int): largest sum of all reads, in bytes.
        """
        super().__init__()
        self._blocks = []
        self._file_object = file_object
        self._file_size = file_size
        self._maximum_read_size = maximum_read_size
        self._remaining = maximum_total_size

    def _Read(self, offset, size):
        """Reads data within the limits."""
        offset = max(0, min(offset, self._file_size))
        size = max(0, min(size, self._file_size - offset))
        for block_offset, block in self._blocks:
            if block_offset <= offset and offset + size <= block_offset + len(block):
                return block[offset - block_offset : offset - block_offset + size]
        if size > self._maximum_read_size or size > self._remaining:
            raise ReadLimitExceeded(f"read of {size:d} bytes at offset {offset:d}")
        self._remaining -= size
        self._file_object.seek(offset, os.SEEK_SET)
        return self._file_object.read(size)

    def AddBlock(self, offset, block):
        """Adds a block already read (at offset) to serve later slices."""
        self._blocks.append((offset, block))

    def Preload(self, offset, size):
        """Reads a block into memory, within the limits."""
        self._blocks.append((offset, self._Read(offset, size)))

    # Python interface functions are in lower case, as in dfvfs's DataSlice.

    def __getitem__(self, key):
        """Retrieves a byte (as int) or a range of bytes."""
        if isinstance(key, int):
            if key < 0:
                key += self._file_size
            if not 0 <= key < self._file_size:
                raise IndexError("offset out of range")
            return self._Read(key, 1)[0]
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("unsupported key")
        start, stop, _ = key.indices(self._file_size)
        return self._Read(start, max(0, stop - start))

    def __len__(self):
        """Retrieves the file size."""
        return self._file_size

    def find(self, sub, start=0, end=None):
        """Finds bytes in a range, like bytes.find."""
        end = self._file_size if end is None else end
        index = self[start:end].find(sub)
        return index if index < 0 else start + index
