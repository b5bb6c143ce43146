"""Parser for the version information and Authenticode signature of PE files.

Stock plaso's pe parser reports compile times, imports and the imphash, but
not who made a file (the VS_VERSIONINFO strings) nor who signed it. These name
a renamed program whatever its file name: a NetSupport client copied as
"svchost.exe" still says OriginalFilename client32.exe, CompanyName NetSupport
Ltd, and carries NetSupport's signature.

For each PE file outside the Windows directory the parser produces one event
data with:

* the StringFileInfo strings of the first string table, read with pefile from
  a bounded view of the file (never the whole file in memory);
* the Authenticode signature (the first PKCS#7 SignedData of the certificate
  table, parsed with asn1crypto): the signer certificate (the one matching the
  SignerInfo's issuer and serial number), the signing time from the
  countersignature or RFC 3161 timestamp, and whether the file's Authenticode
  digest, computed here, matches the signed digest.

What "digest matches" means: the file's bytes hash to the digest in the
signature's SpcIndirectDataContent, the messageDigest signed attribute is the
hash of that content, and, for RSA signers, the signature over the signed
attributes verifies with the signer certificate's public key. So a signature
grafted from another file, or one whose digest was edited, is reported. The
certificate chain is not checked against a trust store and nothing is looked
up on the network: no revocation, no expiry check.

References:
  Microsoft, "Windows Authenticode Portable Executable Signature Format"
  (Authenticode_PE.docx) and "PE Format" (the Certificate Table, the CheckSum
  field); RFC 5652 (CMS), RFC 3161 (timestamps), RFC 8017 (RSASSA-PKCS1-v1_5).
"""

import hashlib
import os
import struct

import pefile

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import tsp as asn1_tsp  # noqa: F401  registers TSTInfo with cms
from dfdatetime import posix_time as dfdatetime_posix_time
from dfvfs.lib import definitions as dfvfs_definitions
from dfvfs.lib import errors as dfvfs_errors

from plaso.containers import events
from plaso.lib import errors
from plaso.lib import specification
from plaso.parsers import interface
from plaso.parsers import manager


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


class ReadLimitExceeded(Exception):
    """Raised when a bounded read would go beyond its limit."""


class BoundedDataSlice:
    """Read-on-demand view of a file object for pefile, with a read budget.

    pefile accepts any object that slices like bytes. This one reads only the
    ranges pefile asks for, refuses a single read above maximum_read_size and
    stops once maximum_total_size bytes have been read, so that declared sizes
    in a damaged file cannot make it read (or allocate) gigabytes. Blocks read
    with Preload() (the headers, the resource section) serve later slices from
    memory: pefile reads structures a few bytes at a time.
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
        """Finds bytes in a range (pefile looks for the Rich header)."""
        end = self._file_size if end is None else end
        index = self[start:end].find(sub)
        return index if index < 0 else start + index


class VersionResourceEntry:
    """Location of a version resource, as pefile's parse_version_information
    wants it (the attributes of an IMAGE_RESOURCE_DATA_ENTRY)."""

    def __init__(self, offset_to_data, size):
        """Initializes the entry.

        Args:
          offset_to_data (int): RVA of the resource data.
          size (int): size of the resource data.
        """
        super().__init__()
        self.OffsetToData = offset_to_data  # pylint: disable=invalid-name
        self.Size = size  # pylint: disable=invalid-name


class SpcAttributeTypeAndOptionalValue(asn1_core.Sequence):
    """Authenticode SpcAttributeTypeAndOptionalValue (SpcPeImageData)."""

    _fields = [
        ("type", asn1_core.ObjectIdentifier),
        ("value", asn1_core.Any, {"optional": True}),
    ]


class DigestInfo(asn1_core.Sequence):
    """DigestInfo, as in Authenticode and PKCS #1."""

    _fields = [
        ("digest_algorithm", asn1_algos.DigestAlgorithm),
        ("digest", asn1_core.OctetString),
    ]


class SpcIndirectDataContent(asn1_core.Sequence):
    """Authenticode SpcIndirectDataContent: what the signature signs."""

    _fields = [
        ("data", SpcAttributeTypeAndOptionalValue),
        ("message_digest", DigestInfo),
    ]


class SignatureError(Exception):
    """Raised when a signature is damaged; the message says why."""


class PEVersionInfoParser(interface.FileObjectParser):
    """Parser for PE version information and Authenticode signatures."""

    NAME = "pe_version_info"
    DATA_FORMAT = "Portable Executable (PE) version information and signature"

    FILTERS = frozenset([OutsideWindowsDirectoryFilter()])

    # Headers: the DOS header points at the NT headers; real files keep them
    # in the first few hundred bytes.
    MAXIMUM_NT_HEADERS_OFFSET = 64 * 1024

    # pefile reads headers, the section table, the resource tree and the
    # version resource through a BoundedDataSlice with these limits.
    MAXIMUM_RESOURCE_READ_SIZE = 4 * 1024 * 1024
    MAXIMUM_RESOURCE_TOTAL_SIZE = 16 * 1024 * 1024

    # Authenticode signatures are tens of KiB; a larger table is not read.
    MAXIMUM_CERTIFICATE_TABLE_SIZE = 4 * 1024 * 1024

    # The digest is streamed in chunks; larger files are not hashed.
    MAXIMUM_DIGEST_FILE_SIZE = 256 * 1024 * 1024
    DIGEST_CHUNK_SIZE = 1024 * 1024

    MAXIMUM_NUMBER_OF_CERTIFICATE_ENTRIES = 32

    MAXIMUM_NUMBER_OF_RESOURCE_ENTRIES = 4096

    MAXIMUM_RSA_MODULUS_BITS = 16384
    MAXIMUM_RSA_EXPONENT_BITS = 64

    # The first block read for pefile: DOS, NT and section headers.
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

    _WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002

    _SPC_INDIRECT_DATA_OBJID = "1.3.6.1.4.1.311.2.1.4"

    _DIGEST_ALGORITHMS = frozenset(["md5", "sha1", "sha256", "sha384", "sha512"])

    # RFC 4514 attribute type names, plus E for e-mail as Windows shows it.
    _NAME_ATTRIBUTE_TYPES = {
        "common_name": "CN",
        "country_name": "C",
        "domain_component": "DC",
        "email_address": "E",
        "locality_name": "L",
        "organization_name": "O",
        "organizational_unit_name": "OU",
        "serial_number": "SERIALNUMBER",
        "state_or_province_name": "ST",
        "street_address": "STREET",
    }

    @classmethod
    def GetFormatSpecification(cls):
        """Retrieves the format specification."""
        format_specification = specification.FormatSpecification(cls.NAME)
        format_specification.AddNewSignature(b"MZ", offset=0)
        return format_specification

    def _ReadAt(self, file_object, offset, size):
        """Reads exactly size bytes at offset, or raises WrongParser."""
        file_object.seek(offset, os.SEEK_SET)
        data = file_object.read(size)
        if len(data) != size:
            raise errors.WrongParser(f"truncated PE headers at offset {offset:d}")
        return data

    def _ReadHeaders(self, file_object, file_size):
        """Reads the offsets this parser needs from the PE headers.

        Args:
          file_object (dfvfs.FileIO): file-like object.
          file_size (int): size of the file.

        Returns:
          dict[str, int]: checksum_offset, security_entry_offset (or None),
              resource_rva, resource_size, certificate_offset,
              certificate_size and file_size.

        Raises:
          WrongParser: if the file is not a PE image.
        """
        dos_header = self._ReadAt(file_object, 0, 64)
        nt_headers_offset = struct.unpack_from("<I", dos_header, 60)[0]
        if not 64 <= nt_headers_offset <= self.MAXIMUM_NT_HEADERS_OFFSET:
            raise errors.WrongParser("no PE headers")
        file_header = self._ReadAt(file_object, nt_headers_offset, 24)
        if file_header[:4] != b"PE\x00\x00":
            raise errors.WrongParser("no PE signature")
        optional_header_size = struct.unpack_from("<H", file_header, 20)[0]
        optional_header_offset = nt_headers_offset + 24
        optional_header = self._ReadAt(
            file_object, optional_header_offset, max(2, min(optional_header_size, 240))
        )
        magic = struct.unpack_from("<H", optional_header, 0)[0]
        if magic == 0x010B:
            directories_offset = 96
        elif magic == 0x020B:
            directories_offset = 112
        else:
            raise errors.WrongParser(
                f"unsupported optional header magic: 0x{magic:04x}"
            )
        if len(optional_header) < directories_offset:
            raise errors.WrongParser("optional header too small")
        number_of_directories = struct.unpack_from(
            "<I", optional_header, directories_offset - 4
        )[0]

        def Directory(index):
            offset = directories_offset + index * 8
            if index >= number_of_directories or offset + 8 > len(optional_header):
                return None, 0, 0
            address, size = struct.unpack_from("<II", optional_header, offset)
            return optional_header_offset + offset, address, size

        _, resource_rva, resource_size = Directory(2)
        security_entry_offset, certificate_offset, certificate_size = Directory(4)
        return {
            "checksum_offset": optional_header_offset + 64,
            "security_entry_offset": security_entry_offset,
            "resource_rva": resource_rva,
            "resource_size": resource_size,
            "certificate_offset": certificate_offset,
            "certificate_size": certificate_size,
            "file_size": file_size,
        }

    def _FindVersionResource(self, pefile_object, resource_rva):
        """Walks the resource tree to the first RT_VERSION data entry.

        Only the three directory entries on the way are read, not the whole
        tree (icons, dialogs, manifests, ...) as pefile's resource parsing
        does.

        Args:
          pefile_object (pefile.PE): PE, parsed with fast_load.
          resource_rva (int): RVA of the resource directory.

        Returns:
          VersionResourceEntry: the version resource, or None if there is none.

        Raises:
          ValueError: if the resource tree is damaged.
        """
        directory_rva = resource_rva
        for level in range(3):
            header = pefile_object.get_data(directory_rva, 16)
            if len(header) != 16:
                raise ValueError(f"resource directory at RVA 0x{directory_rva:x}")
            number_of_named, number_of_ids = struct.unpack_from("<HH", header, 12)
            number_of_entries = min(
                number_of_named + number_of_ids, self.MAXIMUM_NUMBER_OF_RESOURCE_ENTRIES
            )
            entries = pefile_object.get_data(directory_rva + 16, number_of_entries * 8)
            if len(entries) != number_of_entries * 8:
                raise ValueError(f"resource entries at RVA 0x{directory_rva:x}")
            target = None
            for index in range(number_of_entries):
                name, offset = struct.unpack_from("<II", entries, index * 8)
                # The root lists types (RT_VERSION is ID 16); below it, the
                # first name and the first language are taken.
                if level > 0 or name == pefile.RESOURCE_TYPE["RT_VERSION"]:
                    target = offset
                    break
            if target is None:
                return None
            is_directory = bool(target & 0x80000000)
            if is_directory != (level < 2):
                raise ValueError(f"unexpected resource entry at level {level:d}")
            directory_rva = resource_rva + (target & 0x7FFFFFFF)

        data_entry = pefile_object.get_data(directory_rva, 8)
        if len(data_entry) != 8:
            raise ValueError("version resource data entry")
        return VersionResourceEntry(*struct.unpack("<II", data_entry))

    def _ParseVersionStrings(self, parser_mediator, file_object, headers, event_data):
        """Reads the StringFileInfo strings with pefile.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          file_object (dfvfs.FileIO): file-like object.
          headers (dict[str, int]): what _ReadHeaders read.
          event_data (PEVersionInfoEventData): event data to fill.
        """
        file_size = headers["file_size"]
        data = BoundedDataSlice(
            file_object,
            file_size,
            self.MAXIMUM_RESOURCE_READ_SIZE,
            self.MAXIMUM_RESOURCE_TOTAL_SIZE,
        )
        try:
            data.Preload(0, min(file_size, self.HEADERS_READ_SIZE))
            pefile_object = pefile.PE(data=data, fast_load=True)
            section = pefile_object.get_section_by_rva(headers["resource_rva"])
            if section is not None:
                data.Preload(
                    section.PointerToRawData,
                    min(section.SizeOfRawData, self.MAXIMUM_RESOURCE_READ_SIZE),
                )
            version_entry = self._FindVersionResource(
                pefile_object, headers["resource_rva"]
            )
            if version_entry is None:
                return
            pefile_object.parse_version_information(version_entry)
        except ReadLimitExceeded as exception:
            parser_mediator.ProduceWarning(
                f"version resource not read: size limit exceeded ({exception!s})"
            )
            return
        except Exception as exception:  # pylint: disable=broad-except
            # pefile raises many exception types on damaged input.
            parser_mediator.ProduceWarning(
                f"unable to read version resource with error: {exception!s}"
            )
            return

        strings = None
        for file_info_list in getattr(pefile_object, "FileInfo", None) or []:
            for file_info in file_info_list:
                for string_table in getattr(file_info, "StringTable", None) or []:
                    if string_table.entries:
                        strings = string_table.entries
                        break
                if strings:
                    break
            if strings:
                break

        if not strings:
            parser_mediator.ProduceWarning(
                "version resource without version strings (damaged or empty)"
            )
            return

        for key, attribute_name in self._VERSION_STRINGS.items():
            value = strings.get(key)
            if value is None:
                continue
            if isinstance(value, bytes):
                # pefile returns the UTF-16 strings re-encoded as UTF-8.
                value = value.decode("utf-8", "replace")
            value = value.replace("\x00", "").strip()[: self.MAXIMUM_STRING_LENGTH]
            setattr(event_data, attribute_name, value or None)

    def _ReadSignedData(self, file_object, headers):
        """Reads the first PKCS#7 SignedData of the certificate table.

        Returns:
          bytes: DER-encoded ContentInfo, or None if the file is unsigned.

        Raises:
          SignatureError: if the certificate table is damaged.
        """
        offset = headers["certificate_offset"]
        size = headers["certificate_size"]
        if not offset and not size:
            return None
        if offset + size > headers["file_size"] or size < 8:
            raise SignatureError("certificate table outside the file")
        if offset < headers["checksum_offset"]:
            raise SignatureError("certificate table overlaps the headers")
        if size > self.MAXIMUM_CERTIFICATE_TABLE_SIZE:
            raise SignatureError(
                f"certificate table of {size:d} bytes larger than "
                f"{self.MAXIMUM_CERTIFICATE_TABLE_SIZE:d}"
            )
        file_object.seek(offset, os.SEEK_SET)
        table = file_object.read(size)
        position = 0
        for _ in range(self.MAXIMUM_NUMBER_OF_CERTIFICATE_ENTRIES):
            if position + 8 > len(table):
                break
            length, _, certificate_type = struct.unpack_from("<IHH", table, position)
            if length < 8 or position + length > len(table):
                raise SignatureError("certificate entry length out of bounds")
            if certificate_type == self._WIN_CERT_TYPE_PKCS_SIGNED_DATA:
                return table[position + 8 : position + length]
            position += (length + 7) // 8 * 8
        raise SignatureError("no PKCS#7 signature in the certificate table")

    def _ComputeDigest(self, file_object, headers, algorithm):
        """Computes the Authenticode digest of the file, in chunks.

        The digest covers the whole file except the CheckSum field, the
        Certificate Table data directory entry and the certificate table.
        """
        certificate_offset = headers["certificate_offset"]
        certificate_end = certificate_offset + headers["certificate_size"]
        security_entry_offset = headers["security_entry_offset"]
        ranges = (
            (0, headers["checksum_offset"]),
            (headers["checksum_offset"] + 4, security_entry_offset),
            (security_entry_offset + 8, certificate_offset),
            (certificate_end, headers["file_size"]),
        )
        hasher = hashlib.new(algorithm)
        for start, end in ranges:
            file_object.seek(start, os.SEEK_SET)
            remaining = end - start
            while remaining > 0:
                chunk = file_object.read(min(remaining, self.DIGEST_CHUNK_SIZE))
                if not chunk:
                    break
                hasher.update(chunk)
                remaining -= len(chunk)
        return hasher.digest()

    def _FormatName(self, name):
        """Formats an X.509 name RFC 4514-like, most specific part first."""
        parts = []
        for relative_name in reversed(list(name.chosen)):
            values = []
            for attribute in relative_name:
                type_name = attribute["type"].native
                label = self._NAME_ATTRIBUTE_TYPES.get(
                    type_name, attribute["type"].dotted
                )
                value = attribute["value"].native
                if not isinstance(value, str):
                    value = str(value)
                value = "".join(
                    f"\\{character}" if character in ',+"\\<>;' else character
                    for character in value
                )
                values.append(f"{label}={value}")
            parts.append("+".join(values))
        return ", ".join(parts)

    def _FindSigner(self, signed_data, signer_info):
        """Finds the certificate that matches the SignerInfo's identifier."""
        signer_identifier = signer_info["sid"]
        for certificate_choice in signed_data["certificates"] or []:
            if certificate_choice.name != "certificate":
                continue
            certificate = certificate_choice.chosen
            if signer_identifier.name == "issuer_and_serial_number":
                if (
                    certificate.serial_number
                    == signer_identifier.chosen["serial_number"].native
                    and certificate.issuer == signer_identifier.chosen["issuer"]
                ):
                    return certificate
            elif certificate.key_identifier == signer_identifier.chosen.native:
                return certificate
        return None

    def _GetSigningTime(self, signer_info):
        """Returns the signing time as a datetime, or None.

        The countersignature or RFC 3161 timestamp (unsigned attributes) comes
        from a timestamping authority; the signingTime signed attribute is the
        signer's own clock and is used only when neither is present.
        """
        for attribute in signer_info["unsigned_attrs"] or []:
            attribute_type = attribute["type"].native
            for value in attribute["values"]:
                if attribute_type == "counter_signature":
                    for counter_attribute in value["signed_attrs"] or []:
                        if counter_attribute["type"].native == "signing_time":
                            return counter_attribute["values"][0].native
                elif attribute_type in (
                    "microsoft_time_stamp_token",
                    "signature_time_stamp_token",
                ):
                    content = value["content"]["encap_content_info"]["content"]
                    return content.parsed["gen_time"].native
        for attribute in signer_info["signed_attrs"] or []:
            if attribute["type"].native == "signing_time":
                return attribute["values"][0].native
        return None

    def _VerifySignerInfo(self, signer_info, certificate, content_value):
        """Checks the messageDigest attribute and, for RSA, the signature.

        Raises:
          SignatureError: if either does not match.
        """
        algorithm = signer_info["digest_algorithm"]["algorithm"].native
        if algorithm not in self._DIGEST_ALGORITHMS:
            raise SignatureError(f"unsupported signer digest algorithm {algorithm!s}")
        signed_attributes = signer_info["signed_attrs"]
        message_digest = None
        for attribute in signed_attributes or []:
            if attribute["type"].native == "message_digest":
                message_digest = attribute["values"][0].native
        if message_digest != hashlib.new(algorithm, content_value).digest():
            raise SignatureError("message digest attribute does not match the content")

        signature_algorithm = signer_info["signature_algorithm"].signature_algo
        if signature_algorithm != "rsassa_pkcs1v15":
            return False
        public_key = certificate.public_key
        if public_key.algorithm != "rsa":
            raise SignatureError("RSA signature with a non-RSA signer certificate")
        modulus = public_key["public_key"].parsed["modulus"].native
        exponent = public_key["public_key"].parsed["public_exponent"].native
        # The modular exponentiation costs grow with both sizes: refuse keys
        # no code signing certificate has (a crafted one could stall parsing).
        if not (
            0 < modulus.bit_length() <= self.MAXIMUM_RSA_MODULUS_BITS
            and 0 < exponent.bit_length() <= self.MAXIMUM_RSA_EXPONENT_BITS
        ):
            raise SignatureError(
                f"unsupported RSA key: {modulus.bit_length():d}-bit modulus, "
                f"{exponent.bit_length():d}-bit exponent"
            )
        # The signature covers the DER of the signed attributes as a SET OF.
        signed_attributes_der = signed_attributes.untag().dump()
        signature = signer_info["signature"].native
        key_size = (modulus.bit_length() + 7) // 8
        encoded = pow(int.from_bytes(signature, "big"), exponent, modulus).to_bytes(
            key_size, "big"
        )
        digest_info = DigestInfo(
            {
                "digest_algorithm": {"algorithm": algorithm, "parameters": None},
                "digest": hashlib.new(algorithm, signed_attributes_der).digest(),
            }
        ).dump()
        padding_size = key_size - len(digest_info) - 3
        expected = b"\x00\x01" + b"\xff" * padding_size + b"\x00" + digest_info
        if encoded != expected:
            # Some signers omit the NULL parameters of the digest algorithm.
            digest_info = DigestInfo(
                {
                    "digest_algorithm": {"algorithm": algorithm},
                    "digest": hashlib.new(algorithm, signed_attributes_der).digest(),
                }
            ).dump()
            padding_size = key_size - len(digest_info) - 3
            expected = b"\x00\x01" + b"\xff" * padding_size + b"\x00" + digest_info
            if encoded != expected:
                raise SignatureError("signature does not verify with the signer key")
        return True

    def _ParseSignature(self, parser_mediator, file_object, headers, event_data):
        """Parses the Authenticode signature and checks the digest.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          file_object (dfvfs.FileIO): file-like object.
          headers (dict[str, int]): what _ReadHeaders read.
          event_data (PEVersionInfoEventData): event data to fill.

        Raises:
          SignatureError: if the signature is damaged.
        """
        signed_data_der = self._ReadSignedData(file_object, headers)
        if signed_data_der is None:
            event_data.signature_status = "unsigned"
            return

        try:
            content_info = asn1_cms.ContentInfo.load(signed_data_der)
            if content_info["content_type"].native != "signed_data":
                raise SignatureError("certificate is not PKCS#7 SignedData")
            signed_data = content_info["content"]
            encapsulated = signed_data["encap_content_info"]
            if encapsulated["content_type"].dotted != self._SPC_INDIRECT_DATA_OBJID:
                raise SignatureError("signed content is not SpcIndirectDataContent")
            content = encapsulated["content"]
            indirect_data = content.parse(SpcIndirectDataContent)
            digest_algorithm = indirect_data["message_digest"]["digest_algorithm"][
                "algorithm"
            ].native
            signed_digest = indirect_data["message_digest"]["digest"].native

            signer_infos = signed_data["signer_infos"]
            if len(signer_infos) != 1:
                raise SignatureError(
                    f"{len(signer_infos):d} signer infos instead of exactly one"
                )
            signer_info = signer_infos[0]
            certificate = self._FindSigner(signed_data, signer_info)
            if certificate is None:
                raise SignatureError("no certificate matches the signer")

            event_data.signer_subject = self._FormatName(certificate.subject)
            event_data.signer_issuer = self._FormatName(certificate.issuer)
            common_names = certificate.subject.native.get("common_name")
            if isinstance(common_names, list):
                common_names = common_names[-1]
            event_data.signer_common_name = common_names or None
            event_data.signer_serial_number = format(certificate.serial_number, "x")
            event_data.digest_algorithm = digest_algorithm

            try:
                signing_time = self._GetSigningTime(signer_info)
                if signing_time is not None:
                    timestamp = int(signing_time.timestamp() * 1000000)
                    event_data.signing_time = (
                        dfdatetime_posix_time.PosixTimeInMicroseconds(
                            timestamp=timestamp
                        )
                    )
            except Exception as exception:  # pylint: disable=broad-except
                # A damaged timestamp must not hide the digest check.
                parser_mediator.ProduceWarning(
                    f"Authenticode signing time unreadable: {exception!s}"
                )

            self._VerifySignerInfo(signer_info, certificate, indirect_data.contents)
        except SignatureError:
            raise
        except Exception as exception:  # pylint: disable=broad-except
            # asn1crypto parses lazily and raises ValueError, TypeError, ...
            raise SignatureError(f"unreadable PKCS#7 structure ({exception!s})")

        if digest_algorithm not in self._DIGEST_ALGORITHMS:
            event_data.signature_status = (
                f"not checked: unsupported digest algorithm {digest_algorithm!s}"
            )
            return
        if headers["security_entry_offset"] is None:
            raise SignatureError("no certificate table directory entry")
        if headers["file_size"] > self.MAXIMUM_DIGEST_FILE_SIZE:
            event_data.signature_status = (
                f"not checked: file larger than {self.MAXIMUM_DIGEST_FILE_SIZE:d} bytes"
            )
            return

        digest = self._ComputeDigest(file_object, headers, digest_algorithm)
        event_data.digest_matches = digest == signed_digest
        event_data.signature_status = (
            "digest matches" if event_data.digest_matches else "digest mismatch"
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
            headers = self._ReadHeaders(file_object, file_size)
        except (OSError, dfvfs_errors.Error) as exception:
            raise errors.WrongParser(f"unable to read PE headers: {exception!s}")

        event_data = PEVersionInfoEventData()
        try:
            if headers["resource_rva"] and headers["resource_size"]:
                self._ParseVersionStrings(
                    parser_mediator, file_object, headers, event_data
                )
            self._ParseSignature(parser_mediator, file_object, headers, event_data)
        except SignatureError as exception:
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
