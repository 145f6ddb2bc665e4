"""Wire primitives: hex ids, the base of every decoded model, and JSON (de)coding.

Hex ids are accepted with or without ``0x``, in any case, and always shown as lowercase
``0x...`` (:class:`Id`). Every model is a msgspec ``Struct`` decoded straight from bytes
(:func:`decode`); :class:`Model` adds what o2-sdk's dataclass models offer
(``from_dict``/``to_dict``) and dict-style reads (``model["field"]``, ``model.get``),
so code written against o2-sdk's dict-shaped values keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar, cast

import msgspec

from .errors import InvalidInput, ProtocolError, excerpt

T = TypeVar("T")
M = TypeVar("M", bound="Model")

_HEX_DIGITS = frozenset("0123456789abcdef")


class Id(str):
    """A hex identifier, always shown as lowercase ``0x...``.

    Comparison with a plain string ignores case and the ``0x`` prefix.

    Args:
        value: hex digits, with or without ``0x``, any case.

    Raises:
        InvalidInput: not a non-empty hex string.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Id:
        if isinstance(value, Id):
            return value
        if not isinstance(value, str):
            raise InvalidInput(f"an id must be a hex string, got {type(value).__name__}")
        raw = value.strip().lower()
        if raw.startswith("0x"):
            raw = raw[2:]
        if not raw or not _HEX_DIGITS.issuperset(raw):
            raise InvalidInput(f"an id must be a non-empty hex string, got {value!r}")
        return super().__new__(cls, "0x" + raw)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Id):
            return str.__eq__(self, other)
        if isinstance(other, str):
            low = other.lower()
            return str.__eq__(self, low if low.startswith("0x") else "0x" + low)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = str.__hash__

    def __repr__(self) -> str:
        return f"Id({str.__repr__(self)})"

    def to_bytes(self) -> bytes:
        """The id's raw bytes.

        Returns:
            The bytes (an odd number of digits gets a leading zero).
        """
        digits = self[2:]
        return bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)


def b256(value: str, what: str = "id") -> Id:
    """An :class:`Id` that must be exactly 32 bytes (64 hex digits).

    Args:
        value: the hex string.
        what: its name, for the error message.

    Returns:
        The id.

    Raises:
        InvalidInput: not hex, or not 32 bytes.
    """
    ident = Id(value)
    if len(ident) != 66:
        raise InvalidInput(f"{what} must be 32 bytes (64 hex digits), got {value!r}")
    return ident


def dec_hook(kind: type, obj: Any) -> Any:
    """msgspec's decoding hook for our custom types (:class:`Id`).

    Args:
        kind: the type msgspec asks for.
        obj: the JSON value.

    Returns:
        The decoded value.

    Raises:
        ValueError: an id that is not a hex string.
        NotImplementedError: a type without a decoder here.
    """
    if kind is Id:
        if not isinstance(obj, str):
            raise ValueError(f"expected a hex string, got {type(obj).__name__}")
        return Id(obj)
    raise NotImplementedError(f"no decoder for {kind!r}")


def enc_hook(obj: Any) -> Any:
    """msgspec's encoding hook: ids as text, enums as their values.

    Args:
        obj: the value msgspec cannot encode itself.

    Returns:
        Its JSON-ready form.

    Raises:
        NotImplementedError: another type.
    """
    if isinstance(obj, Id):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


@cache
def decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    """A cached lax JSON decoder for ``kind`` (strings accepted for numbers).

    Args:
        kind: the type to decode into.

    Returns:
        The decoder.
    """
    return msgspec.json.Decoder(kind, dec_hook=dec_hook, strict=False)


def decode(data: bytes | str, kind: type[T]) -> T:
    """Decode JSON ``data`` into ``kind``.

    Args:
        data: JSON bytes or text.
        kind: the type to decode into.

    Returns:
        The decoded value.

    Raises:
        ProtocolError: the data is not JSON of that shape (invalid UTF-8, absurd nesting,
            wrong types and bad ids included), with the start of the data.
    """
    try:
        result: T = decoder(cast(Any, kind)).decode(data)
        return result
    except (msgspec.DecodeError, ValueError, TypeError, RecursionError) as err:
        # ValueError covers invalid UTF-8 and our own InvalidInput; RecursionError absurd nesting
        head = data[:80] if isinstance(data, str) else excerpt(bytes(data), 80)
        raise ProtocolError(
            f"cannot decode {getattr(kind, '__name__', kind)}: {err} (body starts {head!r})"
        ) from err


_encoder = msgspec.json.Encoder(enc_hook=enc_hook)


def encode(value: Any) -> bytes:
    """JSON bytes of a model (or any msgspec-encodable value).

    Args:
        value: the value.

    Returns:
        Its JSON.
    """
    return _encoder.encode(value)


@cache
def _wire_names(cls: type) -> dict[str, str]:
    names: dict[str, str] = {}
    for field in msgspec.structs.fields(cls):
        names[field.name] = field.name
        names.setdefault(field.encode_name, field.name)
    return names


@cache
def _getter(names: tuple[str, ...]) -> Callable[[Any], Any]:
    """One C-level getter of the named attributes (a tuple of them for two or more)."""
    return attrgetter(*names)


class Model(msgspec.Struct, frozen=True):
    """The base of every model (immutable): ``from_dict``/``to_dict``, dict-style reads."""

    @classmethod
    def from_dict(cls: type[M], data: Any) -> M:
        """The model of a JSON-like value (as ``json.loads`` gives it).

        Args:
            data: a dict (wire field names), list or scalar of the model's shape.

        Returns:
            The model.

        Raises:
            ProtocolError: the value does not have the model's shape.
        """
        try:
            return msgspec.convert(data, cls, strict=False, dec_hook=dec_hook)
        except (msgspec.ValidationError, ValueError, TypeError, RecursionError) as err:
            raise ProtocolError(f"cannot build {cls.__name__} from {data!r:.80}: {err}") from err

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        """The fields by name, a fresh dict (what ``vars()`` of o2-sdk's dataclass
        models gives; e.g. ``Order(**{**order.__dict__, "price": 0})``)."""
        return {name: getattr(self, name) for name in self.__struct_fields__}

    def to_dict(self) -> dict[str, Any]:
        """The wire form: JSON-ready builtins, wire field names.

        Returns:
            A dict.
        """
        result: dict[str, Any] = msgspec.to_builtins(self, enc_hook=enc_hook)
        return result

    def __getitem__(self, key: str) -> Any:
        name = _wire_names(type(self)).get(key) if isinstance(key, str) else None
        if name is None:
            raise KeyError(key)
        return getattr(self, name)

    def get(self, key: str, default: Any = None) -> Any:
        """``self[key]`` (by field or wire name), or ``default``.

        Args:
            key: a field name or its wire name.
            default: returned when the model has no such field.

        Returns:
            The field's value, or ``default``.
        """
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in _wire_names(type(self))

    def _accept_text(self, names: tuple[str, ...], kind: type) -> None:
        """Convert the named fields from text when a model is built by hand.

        o2-sdk's models hold chain integers (and fees) as the wire's text, so code written
        for it builds them with strings (``Market(min_order="1000000", ...)``); decoding
        converts already, construction converts here (a subclass calls this from its
        ``__post_init__``). Anything but text is left as given.

        Raises:
            ValueError: the text is not a ``kind``.
        """
        values = _getter(names)(self)
        if len(names) == 1:
            values = (values,)
        if str not in map(type, values):  # decoded, or built with ints: nothing to do
            return
        for name, value in zip(names, values, strict=True):
            if isinstance(value, str):
                try:
                    converted = kind(value.strip())
                except (ValueError, ArithmeticError):
                    raise ValueError(
                        f"{name} must be {kind.__name__} text, got {value!r}"
                    ) from None
                msgspec.structs.force_setattr(self, name, converted)


__all__ = ["Id", "Model", "b256", "dec_hook", "decode", "decoder", "enc_hook", "encode"]
