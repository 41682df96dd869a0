"""Every error sealfile raises on purpose, in one place.

An error names the file and, where there is one, the key path
(``["db"]["password"]``) as structured fields, and says what is wrong in
``message``.  Messages never contain secret values or key material: key paths
are fine (keys are plaintext in the file anyway), values are not.

Each class carries the exit code sops uses for that kind of failure
(``exit_code``, a class attribute or derived from the error's own data), so
scripts that branch on sops's codes keep working and API callers can read it.
Nothing assigns exit codes after the fact: where sops gives the same failure a
different code in one command (a missing file is 100 for ``decrypt`` but 2 for
``set``), the CLI's own table decides (``sealfile/cli/exitcodes.py``).
"""
from __future__ import annotations

from typing import Sequence, Union

KeyPath = tuple[Union[str, int], ...]


class ExitCode:
    """sops's ``cmd/sops/codes`` numbers."""

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


def format_key_path(key_path: Sequence[str | int]) -> str:
    """``["db"]["password"][0]``: how a key path is shown (sops's ``--extract`` syntax)."""
    return "".join(f'["{c}"]' if isinstance(c, str) else f"[{c}]" for c in key_path)


def key_path_of_aad(aad: str) -> KeyPath:
    """The key path a value's additional data names (``db:password:`` → ``("db", "password")``).

    The AAD leaves out list positions, as sops does, so the path does too.
    """
    return tuple(part for part in aad.split(":")[:-1] if part != "") if aad not in ("", ":") else ()


class SealfileError(Exception):
    """Base of every error the library raises on purpose.

    ``file`` is the file it concerns (None for in-memory data), ``key_path``
    the place in the document; ``str()`` renders ``file: key path: message``.
    """

    exit_code: int = ExitCode.GENERIC

    def __init__(self, message: str, *, file: str | None = None, key_path: Sequence[str | int] | None = None,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file if file is not None else path
        self.key_path: KeyPath | None = tuple(key_path) if key_path is not None else None

    @property
    def path(self) -> str | None:
        """The file (the name this attribute had before ``file``)."""
        return self.file

    def with_path(self, file: str | None) -> "SealfileError":
        """Name the file, unless a more precise one is named already; returns the error itself."""
        if self.file is None:
            self.file = file
        return self

    def __str__(self) -> str:
        parts = [p for p in (self.file, format_key_path(self.key_path) if self.key_path else None) if p]
        return ": ".join([*parts, self.message])


# --- reading and writing files --------------------------------------------------------------

class ParseError(SealfileError):
    """The input is not valid for its format (sops: CouldNotReadInputFile)."""

    exit_code = ExitCode.COULD_NOT_READ_INPUT


class ExcessiveAliasing(ParseError):
    """YAML anchors and aliases that would expand far beyond the file (an "alias bomb")."""


class EncryptedFileUnreadable(ParseError):
    """An encrypted file that does not parse (sops's decrypt path: "Error unmarshalling input", exit 1)."""

    exit_code = ExitCode.GENERIC


class EmitError(SealfileError):
    """The tree cannot be written in the requested format."""

    exit_code = ExitCode.ERROR_DUMPING_TREE


class FileMissing(SealfileError):
    """The file to read does not exist."""

    exit_code = ExitCode.NO_FILE_SPECIFIED


class NoFileSpecified(SealfileError):
    """A command that needs a file (or its other positional arguments) got none."""

    exit_code = ExitCode.NO_FILE_SPECIFIED


class NotAFile(SealfileError):
    """A directory (or other non-file) where a file is needed."""


class WriteError(SealfileError):
    """The output cannot be written (permission, read-only, disk full, an existing identity file)."""

    exit_code = ExitCode.COULD_NOT_WRITE_OUTPUT


class EditNotSaved(WriteError):
    """The edited file could not be written; ``rescued_to`` holds the encrypted result, if it could be kept."""

    def __init__(self, message: str, *, rescued_to: str | None, file: str | None = None) -> None:
        super().__init__(message, file=file)
        self.rescued_to = rescued_to


# --- the metadata and the config -------------------------------------------------------------

class MetadataError(SealfileError):
    """The ``sops`` metadata is missing or malformed."""


class MetadataNotFound(MetadataError):
    """Decrypting a file that was never encrypted."""


class AlreadyEncrypted(SealfileError):
    """Encrypting a file that already carries sops metadata."""

    exit_code = ExitCode.FILE_ALREADY_ENCRYPTED


class VersionCompareError(MetadataError):
    """The file's ``version`` cannot be compared with this program's."""

    exit_code = ExitCode.FAILED_TO_COMPARE_VERSIONS


class ConfigError(SealfileError):
    """The config file is unreadable, invalid, or has no rule for the file."""


class EmptyDocument(SealfileError):
    """Encrypting an input that holds no document."""

    exit_code = ExitCode.NEED_AT_LEAST_ONE_DOCUMENT


# --- values -------------------------------------------------------------------------------

class EncryptError(SealfileError):
    """A value cannot be encrypted (unsupported type, non-string key...)."""

    exit_code = ExitCode.ERROR_ENCRYPTING_TREE


class DecryptError(SealfileError):
    """A value fails to decrypt: tampering, wrong path, not an ENC[] token."""

    exit_code = ExitCode.ERROR_DECRYPTING_TREE


class MacMismatch(SealfileError):
    """The values do not match the file's MAC (or there is none)."""

    exit_code = ExitCode.MAC_MISMATCH


class UnsupportedValue(SealfileError):
    """A value of a type the operation cannot handle (sops: "Unsupported type")."""


# --- paths, set and unset ---------------------------------------------------------------------

class InvalidTreePath(SealfileError):
    """A ``["key"][0]`` path that does not parse (``--extract``: exit 91)."""

    exit_code = ExitCode.INVALID_TREE_PATH


class InvalidSetFormat(InvalidTreePath):
    """A set/unset path or a set value that cannot be parsed (sops: ErrorInvalidSetFormat)."""

    exit_code = ExitCode.INVALID_SET_FORMAT


class PathNotFound(SealfileError):
    """``--extract`` of a path that is not in the document."""


class KeyNotFound(SealfileError):
    """unset of a missing key or index: the only failure ``--idempotent`` forgives, as in sops."""


# --- arguments ------------------------------------------------------------------------------

class ConflictingParameters(SealfileError):
    """Options that cannot be used together (``-i`` with ``--output``, two selectors...)."""

    exit_code = ExitCode.CONFLICTING_PARAMETERS


class InvalidArgument(SealfileError):
    """An argument the command cannot use (a FIFO name with '/', a missing value...)."""


class InvalidKmsContext(SealfileError):
    """``--encryption-context`` that is not ``key:value,key:value``."""

    exit_code = ExitCode.INVALID_KMS_CONTEXT


class UnknownKeyType(SealfileError):
    """A key type name sealfile does not know (in a decryption order, a recipients mapping)."""


class DuplicateDecryptionKeyType(SealfileError):
    """A key type named twice in the decryption order."""

    exit_code = ExitCode.DUPLICATE_DECRYPTION_KEY_TYPE


class NoAnswer(SealfileError):
    """A confirmation prompt got no usable answer (end of input, an empty line)."""


# --- keys and key groups ------------------------------------------------------------------------

class MasterKeyError(SealfileError):
    """A master key could not wrap or unwrap a data key.

    Raised by key sources; the message is safe to show (no key material).
    """


class UnknownRecipient(SealfileError):
    """A recipient string that no key source accepts."""


class MissingExtra(SealfileError):
    """A key type whose optional SDK is not installed."""


class WrapError(SealfileError):
    """The data key could not be wrapped for every key (sops: "Could not generate data key")."""


class KeyGroupError(SealfileError):
    """A change to key groups that would leave a file nobody (or too few) could decrypt."""


class KeysOfMissingFile(SealfileError):
    """``--add-*``/``--rm-*`` on a file that does not exist."""

    exit_code = ExitCode.CANNOT_CHANGE_KEYS_FROM_NONEXISTENT


class ShamirError(SealfileError):
    """Shares that cannot be split or combined."""

    exit_code = ExitCode.COULD_NOT_RETRIEVE_KEY


class NoKeyCouldDecrypt(SealfileError):
    """No master key (or too few Shamir groups) could recover the data key.

    ``report`` is the multi-line per-group, per-key explanation sops prints.
    """

    exit_code = ExitCode.COULD_NOT_RETRIEVE_KEY

    def __init__(self, message: str, report: str, *, file: str | None = None) -> None:
        super().__init__(message, file=file)
        self.report = report


# --- edit ---------------------------------------------------------------------------------

class _CausedBy(SealfileError):
    """An error that stands for another one (``cause``) and exits with its code."""

    def __init__(self, message: str, cause: SealfileError, *, file: str | None = None) -> None:
        super().__init__(message, file=file)
        self.cause = cause

    @property  # type: ignore[override]
    def exit_code(self) -> int:
        return self.cause.exit_code


class InvalidEdit(_CausedBy):
    """The edited text cannot be saved, but the user can fix it in the editor (``cause`` says why)."""


class EditorError(SealfileError):
    """No editor, or the editor failed (sops: ``Could not run editor``, exit 201)."""

    exit_code = ExitCode.NO_EDITOR_FOUND


class EditAbandoned(_CausedBy):
    """The user gave up an invalid edit (standard input closed); exits with the problem's code."""


# --- exec-env / exec-file -------------------------------------------------------------------

class NotExportable(SealfileError):
    """A document exec-env cannot put into an environment (nested values, '=' in a key...)."""


class CommandError(SealfileError):
    """The command could not be started (no shell, unknown --user...)."""


class ChildFailed(SealfileError):
    """The command ran and failed; its status becomes ours (a signal death is 255, as in sops)."""

    def __init__(self, message: str, status: int, *, file: str | None = None) -> None:
        super().__init__(message, file=file)
        self.status = status

    @property  # type: ignore[override]
    def exit_code(self) -> int:
        return self.status


class Interrupted(SealfileError):
    """A signal ended the operation; the exit code is 128 + the signal number, as a shell reports it."""

    def __init__(self, message: str, signum: int, *, file: str | None = None) -> None:
        super().__init__(message, file=file)
        self.signum = signum

    @property  # type: ignore[override]
    def exit_code(self) -> int:
        return 128 + self.signum


class PartialFailure(SealfileError):
    """A command over several files failed on some of them (each was reported already)."""


# --- git ------------------------------------------------------------------------------------

class GitError(SealfileError):
    """A git command failed, or a git-only command ran outside a repository (the message is git's own)."""


class MergeConflict(SealfileError):
    """Two versions of a file cannot be merged on their own; ``conflicts`` names the key paths, never values."""

    def __init__(self, message: str, conflicts: Sequence[str] = (), *, file: str | None = None) -> None:
        super().__init__(message, file=file)
        self.conflicts = tuple(conflicts)


class NotConflicted(SealfileError):
    """``git resolve`` on a file that git does not list as conflicted."""


class RegionsDeclined(Exception):
    """A large file cannot be read a region at a time after all (see ``stores/yaml/regions.py``).

    Internal: the operation catches it and reads the file whole, which also
    reports any error in the file; it never reaches a user.
    """
