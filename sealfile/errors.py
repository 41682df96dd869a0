"""Exception vocabulary of sealfile.

Every error carries the exit code sops uses for the same failure, so scripts
that branch on sops's codes keep working.  Messages never contain secret
values or key material: they name files, key paths and recipients only.
"""
from __future__ import annotations


class ExitCode:
    """sops's `cmd/sops/codes` numbers."""

    GENERIC = 1
    COULD_NOT_READ_INPUT = 2
    COULD_NOT_WRITE_OUTPUT = 3
    ERROR_DUMPING_TREE = 4
    INVALID_KMS_CONTEXT = 6
    INVALID_SET_FORMAT = 7
    CONFLICTING_PARAMETERS = 8
    ERROR_ENCRYPTING_MAC = 21
    ERROR_ENCRYPTING_TREE = 23
    ERROR_DECRYPTING_TREE = 25
    CANNOT_CHANGE_KEYS_FROM_NONEXISTENT = 49
    MAC_MISMATCH = 51
    KEYBOARD_INTERRUPT = 85
    INVALID_TREE_PATH = 91
    NEED_AT_LEAST_ONE_DOCUMENT = 92
    NO_FILE_SPECIFIED = 100
    DUPLICATE_DECRYPTION_KEY_TYPE = 112
    COULD_NOT_RETRIEVE_KEY = 128
    FILE_NOT_MODIFIED = 200
    NO_EDITOR_FOUND = 201
    FAILED_TO_COMPARE_VERSIONS = 202
    FILE_ALREADY_ENCRYPTED = 203


class SealfileError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code: int = ExitCode.GENERIC

    def __init__(self, message: str, *, path: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        if exit_code is not None:
            self.exit_code = exit_code

    def with_path(self, path: str | None) -> "SealfileError":
        if self.path is None:
            self.path = path
        return self

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ParseError(SealfileError):
    """The input is not valid for its format (sops: CouldNotReadInputFile)."""

    exit_code = ExitCode.COULD_NOT_READ_INPUT


class ExcessiveAliasing(ParseError):
    """YAML aliases that expand far beyond the file's size (an "alias bomb").

    Refused while reading, as go-yaml refuses it, before the expansion can
    exhaust memory.  It keeps exit code 2 on the decrypt path too, where other
    unreadable YAML gets sops's exit code 1: sops itself has no answer there
    (it runs out of memory, which Go reports with status 2).
    """


class EmitError(SealfileError):
    """The tree cannot be written in the requested format."""

    exit_code = ExitCode.ERROR_DUMPING_TREE


class MetadataError(SealfileError):
    """The `sops` metadata is missing or malformed."""

    exit_code = ExitCode.GENERIC


class MetadataNotFound(MetadataError):
    """Decrypting a file that was never encrypted."""


class AlreadyEncrypted(SealfileError):
    exit_code = ExitCode.FILE_ALREADY_ENCRYPTED


class EncryptError(SealfileError):
    """A value cannot be encrypted (unsupported type, non-string key...)."""

    exit_code = ExitCode.ERROR_ENCRYPTING_TREE


class DecryptError(SealfileError):
    """A value fails to decrypt: tampering, wrong path, not an ENC[] token."""

    exit_code = ExitCode.ERROR_DECRYPTING_TREE


class MacMismatch(SealfileError):
    exit_code = ExitCode.MAC_MISMATCH


class ConfigError(SealfileError):
    exit_code = ExitCode.GENERIC


class ConflictingParameters(SealfileError):
    exit_code = ExitCode.CONFLICTING_PARAMETERS


class InvalidTreePath(SealfileError):
    exit_code = ExitCode.INVALID_TREE_PATH


class PathNotFound(SealfileError):
    exit_code = ExitCode.GENERIC


class EmptyDocument(SealfileError):
    exit_code = ExitCode.NEED_AT_LEAST_ONE_DOCUMENT


class FileMissing(SealfileError):
    exit_code = ExitCode.NO_FILE_SPECIFIED


class WriteError(SealfileError):
    exit_code = ExitCode.COULD_NOT_WRITE_OUTPUT


class MasterKeyError(SealfileError):
    """A master key could not wrap or unwrap a data key.

    Raised by key sources; ``reason`` is safe to show (no key material).
    """

    exit_code = ExitCode.GENERIC


class UnknownRecipient(SealfileError):
    """A recipient string that no key source accepts."""

    exit_code = ExitCode.GENERIC


class MissingExtra(SealfileError):
    """A key type whose optional SDK is not installed."""

    exit_code = ExitCode.GENERIC


class NoKeyCouldDecrypt(SealfileError):
    """No master key (or too few Shamir groups) could recover the data key.

    ``report`` is the multi-line per-group, per-key explanation sops prints.
    """

    exit_code = ExitCode.COULD_NOT_RETRIEVE_KEY

    def __init__(self, message: str, report: str, *, path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.report = report
