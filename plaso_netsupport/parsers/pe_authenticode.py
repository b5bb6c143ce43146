"""Reads and checks the Authenticode signature of a PE image, offline.

The signature is the first PKCS#7 SignedData of the certificate table,
parsed with asn1crypto: the signer certificate (the one matching the
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

Size: one reader, a little over 400 lines: reading the certificate table,
parsing PKCS #7 and checking digest and signature share the parsed asn1crypto
structures; split, they would pass those between modules for no reader's gain.

References:
  Microsoft, "Windows Authenticode Portable Executable Signature Format"
  (Authenticode_PE.docx) and "PE Format" (the Certificate Table, the CheckSum
  field); RFC 5652 (CMS), RFC 3161 (timestamps), RFC 8017 (RSASSA-PKCS1-v1_5).
"""

import hashlib
import os
import struct

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import tsp as asn1_tsp  # noqa: F401  registers TSTInfo with cms


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


class Signature:
    """What the Authenticode signature of a file says.

    Attributes:
      digest_algorithm (str): Authenticode digest algorithm, such as "sha256".
      digest_matches (bool): True if the file's Authenticode digest matches the
          signed digest, False if not, None if not checked.
      signer_common_name (str): common name (CN) of the signer certificate.
      signer_issuer (str): issuer of the signer certificate.
      signer_serial_number (str): serial number, lower-case hexadecimal.
      signer_subject (str): subject of the signer certificate.
      signing_time (datetime.datetime): signing time, or None.
      status (str): "unsigned", "digest matches", "digest mismatch" or
          "not checked: <why>"; None when reading stopped at damage.
      warnings (list[str]): problems that did not stop the check.
    """

    def __init__(self):
        """Initializes the signature."""
        super().__init__()
        self.digest_algorithm = None
        self.digest_matches = None
        self.signer_common_name = None
        self.signer_issuer = None
        self.signer_serial_number = None
        self.signer_subject = None
        self.signing_time = None
        self.status = None
        self.warnings = []


_WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002

_SPC_INDIRECT_DATA_OBJID = "1.3.6.1.4.1.311.2.1.4"

DIGEST_ALGORITHMS = frozenset(["md5", "sha1", "sha256", "sha384", "sha512"])

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


class AuthenticodeReader:
    """Reads the Authenticode signature of PE files within limits."""

    def __init__(
        self,
        maximum_certificate_table_size,
        maximum_number_of_certificate_entries,
        maximum_digest_file_size,
        digest_chunk_size,
        maximum_rsa_modulus_bits,
        maximum_rsa_exponent_bits,
    ):
        """Initializes the reader.

        Args:
          maximum_certificate_table_size (int): largest certificate table read.
          maximum_number_of_certificate_entries (int): most WIN_CERTIFICATE
              entries looked at.
          maximum_digest_file_size (int): largest file whose digest is computed.
          digest_chunk_size (int): size of the reads of the digest.
          maximum_rsa_modulus_bits (int): largest RSA modulus used.
          maximum_rsa_exponent_bits (int): largest RSA public exponent used.
        """
        super().__init__()
        self._maximum_certificate_table_size = maximum_certificate_table_size
        self._maximum_number_of_certificate_entries = (
            maximum_number_of_certificate_entries
        )
        self._maximum_digest_file_size = maximum_digest_file_size
        self._digest_chunk_size = digest_chunk_size
        self._maximum_rsa_modulus_bits = maximum_rsa_modulus_bits
        self._maximum_rsa_exponent_bits = maximum_rsa_exponent_bits

    def _ReadSignedData(self, file_object, headers):
        """Reads the first PKCS#7 SignedData of the certificate table.

        Returns:
          bytes: DER-encoded ContentInfo, or None if the file is unsigned.

        Raises:
          SignatureError: if the certificate table is damaged.
        """
        offset = headers.certificate_offset
        size = headers.certificate_size
        if not offset and not size:
            return None
        if offset + size > headers.file_size or size < 8:
            raise SignatureError("certificate table outside the file")
        if offset < headers.checksum_offset:
            raise SignatureError("certificate table overlaps the headers")
        if size > self._maximum_certificate_table_size:
            raise SignatureError(
                f"certificate table of {size:d} bytes larger than "
                f"{self._maximum_certificate_table_size:d}"
            )
        file_object.seek(offset, os.SEEK_SET)
        table = file_object.read(size)
        position = 0
        for _ in range(self._maximum_number_of_certificate_entries):
            if position + 8 > len(table):
                break
            length, _, certificate_type = struct.unpack_from("<IHH", table, position)
            if length < 8 or position + length > len(table):
                raise SignatureError("certificate entry length out of bounds")
            if certificate_type == _WIN_CERT_TYPE_PKCS_SIGNED_DATA:
                return table[position + 8 : position + length]
            position += (length + 7) // 8 * 8
        raise SignatureError("no PKCS#7 signature in the certificate table")

    def _ComputeDigest(self, file_object, headers, algorithm):
        """Computes the Authenticode digest of the file, in chunks.

        The digest covers the whole file except the CheckSum field, the
        Certificate Table data directory entry and the certificate table.
        """
        certificate_offset = headers.certificate_offset
        certificate_end = certificate_offset + headers.certificate_size
        security_entry_offset = headers.security_entry_offset
        ranges = (
            (0, headers.checksum_offset),
            (headers.checksum_offset + 4, security_entry_offset),
            (security_entry_offset + 8, certificate_offset),
            (certificate_end, headers.file_size),
        )
        hasher = hashlib.new(algorithm)
        for start, end in ranges:
            file_object.seek(start, os.SEEK_SET)
            remaining = end - start
            while remaining > 0:
                chunk = file_object.read(min(remaining, self._digest_chunk_size))
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
                label = _NAME_ATTRIBUTE_TYPES.get(type_name, attribute["type"].dotted)
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
                    != signer_identifier.chosen["serial_number"].native
                ):
                    continue
                issuer = signer_identifier.chosen["issuer"]
                # Equal encodings are equal names; asn1crypto's comparison
                # (RFC 5280 string preparation, 0.8 ms) only when they differ.
                if certificate.issuer.dump() == issuer.dump() or (
                    certificate.issuer == issuer
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
        if algorithm not in DIGEST_ALGORITHMS:
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
            0 < modulus.bit_length() <= self._maximum_rsa_modulus_bits
            and 0 < exponent.bit_length() <= self._maximum_rsa_exponent_bits
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
        digest = hashlib.new(algorithm, signed_attributes_der).digest()
        # Some signers omit the NULL parameters of the digest algorithm.
        for digest_algorithm in (
            {"algorithm": algorithm, "parameters": None},
            {"algorithm": algorithm},
        ):
            digest_info = DigestInfo(
                {"digest_algorithm": digest_algorithm, "digest": digest}
            ).dump()
            padding_size = key_size - len(digest_info) - 3
            expected = b"\x00\x01" + b"\xff" * padding_size + b"\x00" + digest_info
            if encoded == expected:
                return True
        raise SignatureError("signature does not verify with the signer key")

    def ReadSignature(self, file_object, headers, signature):
        """Reads the Authenticode signature and checks the digest.

        Args:
          file_object (dfvfs.FileIO): file-like object.
          headers (PEHeaders): headers of the file.
          signature (Signature): filled in as far as the signature is read,
              also when it turns out to be damaged.

        Raises:
          SignatureError: if the signature is damaged.
          OSError: if the file cannot be read.
        """
        signed_data_der = self._ReadSignedData(file_object, headers)
        if signed_data_der is None:
            signature.status = "unsigned"
            return

        try:
            content_info = asn1_cms.ContentInfo.load(signed_data_der)
            if content_info["content_type"].native != "signed_data":
                raise SignatureError("certificate is not PKCS#7 SignedData")
            signed_data = content_info["content"]
            encapsulated = signed_data["encap_content_info"]
            if encapsulated["content_type"].dotted != _SPC_INDIRECT_DATA_OBJID:
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

            signature.signer_subject = self._FormatName(certificate.subject)
            signature.signer_issuer = self._FormatName(certificate.issuer)
            common_names = certificate.subject.native.get("common_name")
            if isinstance(common_names, list):
                common_names = common_names[-1]
            signature.signer_common_name = common_names or None
            signature.signer_serial_number = format(certificate.serial_number, "x")
            signature.digest_algorithm = digest_algorithm

            try:
                signature.signing_time = self._GetSigningTime(signer_info)
            except Exception as exception:  # pylint: disable=broad-except
                # A damaged timestamp must not hide the digest check.
                signature.warnings.append(
                    f"Authenticode signing time unreadable: {exception!s}"
                )

            self._VerifySignerInfo(signer_info, certificate, indirect_data.contents)
        except SignatureError:
            raise
        except Exception as exception:  # pylint: disable=broad-except
            # asn1crypto parses lazily and raises ValueError, TypeError, ...
            raise SignatureError(f"unreadable PKCS#7 structure ({exception!s})")

        if digest_algorithm not in DIGEST_ALGORITHMS:
            signature.status = (
                f"not checked: unsupported digest algorithm {digest_algorithm!s}"
            )
            return
        if headers.security_entry_offset is None:
            raise SignatureError("no certificate table directory entry")
        if headers.file_size > self._maximum_digest_file_size:
            signature.status = (
                f"not checked: file larger than {self._maximum_digest_file_size:d} "
                "bytes"
            )
            return

        digest = self._ComputeDigest(file_object, headers, digest_algorithm)
        signature.digest_matches = digest == signed_digest
        signature.status = (
            "digest matches" if signature.digest_matches else "digest mismatch"
        )
