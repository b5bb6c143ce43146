"""Parser for the version information and Authenticode signature of PE files.

Stock plaso's pe parser reports compile times, imports and the imphash, but
not who made a file (the VS_VERSIONINFO strings) nor who signed it. These name
a renamed program whatever its file name: a NetSupport client copied as
"svchost.exe" still says OriginalFilename client32.exe, CompanyName NetSupport
Ltd, and carries NetSupport's signature.

For each PE file outside the Windows directory the parser produces one event
data with:

* the StringFileInfo strings of the first string table (pe_version_resource,
  read by RVA through pe_image from a bounded view of the file, never the
  whole file in memory);
* the Authenticode signature and whether the file's digest matches it,
  checked offline (pe_authenticode).

This module holds the event data, the Windows-directory filter and the
parser, which sets the read limits and turns damage into extraction warnings.
"""

import os

from dfdatetime import posix_time as dfdatetime_posix_time
from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.lib import errors as dfvfs_errors

from plaso.containers import events
from plaso.lib import errors
from plaso.lib import specification
from plaso.parsers import interface
from plaso.parsers import manager

from plaso_netsupport.parsers import bounded_data
from plaso_netsupport.parsers import pe_authenticode
from plaso_netsupport.parsers import pe_image
from plaso_netsupport.parsers import pe_version_resource


class PEVersionInfoEventData(events.EventData):
    """PE version information and Authenticode signature event data.

    Attributes:
      company_name (str): CompanyName version string.
      digest_algorithm (str): Authenticode digest algorithm, such as "sha256".
      digest_matches (bool): True if the file's Authenticode digest matches the
          signed digest, False if not, None if not checked.
      file_description (str): FileDescription version string.
      file_version (str): FileVersion version string.
      internal_name (str): InternalName version string.
      legal_copyright (str): LegalCopyright version string.
      original_filename (str): OriginalFilename version string.
      product_name (str): ProductName version string.
      product_version (str): ProductVersion version string.
      signature_status (str): "unsigned", "digest matches", "digest mismatch",
          "damaged: <why>" or "not checked: <why>".
      signer_common_name (str): common name (CN) of the signer certificate.
      signer_issuer (str): issuer of the signer certificate, such as
          "CN=Example CA, O=Example, C=US".
      signer_serial_number (str): serial number of the signer certificate, in
          lower-case hexadecimal.
      signer_subject (str): subject of the signer certificate.
      signing_time (dfdatetime.DateTimeValues): signing time from the
          countersignature or timestamp, else from the signed attributes.
    """

    DATA_TYPE = "netsupport:pe:version_info"

    def __init__(self):
        """Initializes event data."""
        super().__init__(data_type=self.DATA_TYPE)
        self.company_name = None
        self.digest_algorithm = None
        self.digest_matches = None
        self.file_description = None
        self.file_version = None
        self.internal_name = None
        self.legal_copyright = None
        self.original_filename = None
        self.product_name = None
        self.product_version = None
        self.signature_status = None
        self.signer_common_name = None
        self.signer_issuer = None
        self.signer_serial_number = None
        self.signer_subject = None
        self.signing_time = None


# Folders that only the Windows directory holds: in a directory source (an OS
# path such as /cases/c/Windows/System32/x.dll) the volume root is unknown, so
# a "Windows" folder counts as the Windows directory when one of these follows.
_WINDOWS_DIRECTORY_CHILDREN = frozenset(
    [
        "assembly",
        "installer",
        "microsoft.net",
        "servicing",
        "softwaredistribution",
        "syswow64",
        "system32",
        "systemapps",
        "winsxs",
    ]
)


def IsInWindowsDirectory(path_spec):
    """Determines if a path specification points into the Windows directory.

    In a storage media image the location is volume-relative, and the Windows
    directory is the top-level folder "Windows". A "Windows" folder elsewhere
    (such as \\ProgramData\\Windows, a favourite hiding place) is not it.

    Args:
      path_spec (dfvfs.PathSpec): path specification.

    Returns:
      bool: True if the location is inside the Windows directory.
    """
    location = getattr(path_spec, "location", None)
    if not location:
        return False
    segments = [
        segment for segment in location.replace("\\", "/").lower().split("/") if segment
    ]
    if path_spec.type_indicator != dfvfs_definitions.TYPE_INDICATOR_OS:
        return len(segments) > 1 and segments[0] == "windows"
    return any(
        segment == "windows" and following in _WINDOWS_DIRECTORY_CHILDREN
        for segment, following in zip(segments, segments[1:])
    )


class OutsideWindowsDirectoryFilter(interface.BaseFileEntryFilter):
    """Matches file entries outside the Windows directory, by path only."""

    def Match(self, file_entry):
        """Determines if a file entry is outside the Windows directory.

        Args:
          file_entry (dfvfs.FileEntry): a file entry.

        Returns:
          bool: True if the file entry is outside the Windows directory.
        """
        if not file_entry:
            return False
        return not IsInWindowsDirectory(file_entry.path_spec)


class PEVersionInfoParser(interface.FileObjectParser):
    """Parser for PE version information and Authenticode signatures."""

    NAME = "pe_version_info"
    DATA_FORMAT = "Portable Executable (PE) version information and signature"

    FILTERS = frozenset([OutsideWindowsDirectoryFilter()])

    # Headers: the DOS header points at the NT headers; real files keep them
    # in the first few hundred bytes.
    MAXIMUM_NT_HEADERS_OFFSET = 64 * 1024

    # Headers, section table, resource tree and version resource are read
    # through a BoundedDataSlice with these limits.
    MAXIMUM_RESOURCE_READ_SIZE = 4 * 1024 * 1024
    MAXIMUM_RESOURCE_TOTAL_SIZE = 16 * 1024 * 1024

    # Authenticode signatures are tens of KiB; a larger table is not read.
    MAXIMUM_CERTIFICATE_TABLE_SIZE = 4 * 1024 * 1024

    # The digest is streamed in chunks; larger files are not hashed.
    MAXIMUM_DIGEST_FILE_SIZE = 256 * 1024 * 1024
    DIGEST_CHUNK_SIZE = 1024 * 1024

    MAXIMUM_NUMBER_OF_CERTIFICATE_ENTRIES = 32

    MAXIMUM_NUMBER_OF_RESOURCE_ENTRIES = 4096

    # String entries read from a version resource; real ones have a dozen.
    MAXIMUM_NUMBER_OF_VERSION_STRINGS = 1024

    MAXIMUM_RSA_MODULUS_BITS = 16384
    MAXIMUM_RSA_EXPONENT_BITS = 64

    # The first block read: DOS, NT and section headers.
    HEADERS_READ_SIZE = 4096

    MAXIMUM_STRING_LENGTH = 1024

    _VERSION_STRINGS = {
        b"CompanyName": "company_name",
        b"FileDescription": "file_description",
        b"FileVersion": "file_version",
        b"InternalName": "internal_name",
        b"LegalCopyright": "legal_copyright",
        b"OriginalFilename": "original_filename",
        b"ProductName": "product_name",
        b"ProductVersion": "product_version",
    }

    _SIGNATURE_ATTRIBUTES = (
        "digest_algorithm",
        "digest_matches",
        "signer_common_name",
        "signer_issuer",
        "signer_serial_number",
        "signer_subject",
    )

    def __init__(self):
        """Initializes the parser."""
        super().__init__()
        self._authenticode_reader = pe_authenticode.AuthenticodeReader(
            self.MAXIMUM_CERTIFICATE_TABLE_SIZE,
            self.MAXIMUM_NUMBER_OF_CERTIFICATE_ENTRIES,
            self.MAXIMUM_DIGEST_FILE_SIZE,
            self.DIGEST_CHUNK_SIZE,
            self.MAXIMUM_RSA_MODULUS_BITS,
            self.MAXIMUM_RSA_EXPONENT_BITS,
        )

    @classmethod
    def GetFormatSpecification(cls):
        """Retrieves the format specification."""
        format_specification = specification.FormatSpecification(cls.NAME)
        format_specification.AddNewSignature(b"MZ", offset=0)
        return format_specification

    def _ReadVersionStrings(self, parser_mediator, data, headers, event_data):
        """Reads the StringFileInfo strings into the event data.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          data (BoundedDataSlice): the file's data.
          headers (PEHeaders): headers of the file.
          event_data (PEVersionInfoEventData): event data to fill.
        """
        try:
            image = pe_image.PEImage(data, headers)
            section = image.GetSection(headers.resource_rva)
            if section is not None:
                data.Preload(
                    section.raw_pointer,
                    min(section.raw_size, self.MAXIMUM_RESOURCE_READ_SIZE),
                )
            version_resource = pe_version_resource.FindVersionResource(
                image, headers.resource_rva, self.MAXIMUM_NUMBER_OF_RESOURCE_ENTRIES
            )
            if version_resource is None:
                return
            strings = pe_version_resource.ReadVersionStrings(
                image, data, *version_resource, self.MAXIMUM_NUMBER_OF_VERSION_STRINGS
            )
        except bounded_data.ReadLimitExceeded as exception:
            parser_mediator.ProduceWarning(
                f"version resource not read: size limit exceeded ({exception!s})"
            )
            return
        except (
            pe_image.FormatError,
            pe_version_resource.VersionResourceError,
        ) as exception:
            parser_mediator.ProduceWarning(
                f"unable to read version resource with error: {exception!s}"
            )
            return

        if not strings:
            parser_mediator.ProduceWarning(
                "version resource without version strings (damaged or empty)"
            )
            return

        for key, attribute_name in self._VERSION_STRINGS.items():
            value = strings.get(key)
            if value is None:
                continue
            # UTF-16 strings re-encoded as UTF-8 (with backslash escapes).
            value = value.decode("utf-8", "replace")
            value = value.replace("\x00", "").strip()[: self.MAXIMUM_STRING_LENGTH]
            setattr(event_data, attribute_name, value or None)

    def _ReadSignature(self, parser_mediator, file_object, headers, event_data):
        """Reads the Authenticode signature into the event data.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          file_object (dfvfs.FileIO): file-like object.
          headers (PEHeaders): headers of the file.
          event_data (PEVersionInfoEventData): event data to fill.

        Raises:
          SignatureError: if the signature is damaged.
        """
        signature = pe_authenticode.Signature()
        try:
            self._authenticode_reader.ReadSignature(file_object, headers, signature)
        finally:
            # A damaged signature keeps what was read before the damage.
            for name in self._SIGNATURE_ATTRIBUTES:
                setattr(event_data, name, getattr(signature, name))
            event_data.signature_status = signature.status
            for warning in signature.warnings:
                parser_mediator.ProduceWarning(warning)
            if signature.signing_time is not None:
                try:
                    timestamp = int(signature.signing_time.timestamp() * 1000000)
                    event_data.signing_time = (
                        dfdatetime_posix_time.PosixTimeInMicroseconds(
                            timestamp=timestamp
                        )
                    )
                except (OverflowError, TypeError, ValueError) as exception:
                    parser_mediator.ProduceWarning(
                        f"Authenticode signing time unreadable: {exception!s}"
                    )

    def ParseFileObject(self, parser_mediator, file_object):
        """Parses the version information and signature of a PE file.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          file_object (dfvfs.FileIO): a file-like object.

        Raises:
          WrongParser: when the file is not a PE image.
        """
        try:
            file_size = file_object.get_size()
            data = bounded_data.BoundedDataSlice(
                file_object,
                file_size,
                self.MAXIMUM_RESOURCE_READ_SIZE,
                self.MAXIMUM_RESOURCE_TOTAL_SIZE,
            )
            # One read serves the headers (and later the section table).
            file_object.seek(0, os.SEEK_SET)
            data.AddBlock(0, file_object.read(min(file_size, self.HEADERS_READ_SIZE)))

            def ReadAt(offset, size):
                return data[offset : offset + size]

            headers = pe_image.ReadHeaders(
                ReadAt, file_size, self.MAXIMUM_NT_HEADERS_OFFSET
            )
        except pe_image.FormatError as exception:
            raise errors.WrongParser(str(exception))
        except (
            OSError,
            dfvfs_errors.Error,
            bounded_data.ReadLimitExceeded,
        ) as exception:
            raise errors.WrongParser(f"unable to read PE headers: {exception!s}")

        event_data = PEVersionInfoEventData()
        try:
            if headers.resource_rva and headers.resource_size:
                self._ReadVersionStrings(parser_mediator, data, headers, event_data)
            self._ReadSignature(parser_mediator, file_object, headers, event_data)
        except pe_authenticode.SignatureError as exception:
            event_data.digest_matches = None
            event_data.signature_status = f"damaged: {exception!s}"
            parser_mediator.ProduceWarning(f"Authenticode signature: {exception!s}")
        except (OSError, dfvfs_errors.Error) as exception:
            # A read error in a damaged image: report it, keep what was read.
            event_data.digest_matches = None
            event_data.signature_status = f"not checked: read error ({exception!s})"
            parser_mediator.ProduceWarning(f"unable to read file: {exception!s}")

        parser_mediator.ProduceEventData(event_data)


manager.ParsersManager.RegisterParser(PEVersionInfoParser)
