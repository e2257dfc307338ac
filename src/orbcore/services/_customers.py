"""Customers in the store: who is billed, in which currency and which time zone.

The rules are Orb's. A customer's time zone is an IANA name, fixed when the customer is
created (billing periods end at its local midnights, so moving it would move periods
already billed). Its currency is a currency :func:`orbcore.money.get_currency` knows; it
may be left unset at creation and set later, once. Its external id is unique among
customers (the store enforces it, so racing writers cannot both win) and, as in Orb, may
be set while empty but not changed. Every check runs before the store is touched and
reports every problem at once, each with its field's path.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orbcore._clock import Clock
from orbcore._errors import ConflictError, NotFoundError, Problem, ValidationError
from orbcore.billing import Customer
from orbcore.calendar import resolve_zone
from orbcore.money import get_currency
from orbcore.storage import Page, Query, Store, UnitOfWork

__all__ = ["Customers"]

_ADDRESS_KEYS = frozenset({"line1", "line2", "city", "state", "postal_code", "country"})
_TAX_ID_KEYS = ("country", "type", "value")
_UPDATABLE = frozenset(
    {
        "name",
        "email",
        "external_customer_id",
        "currency",
        "timezone",
        "billing_address",
        "tax_ids",
        "metadata",
    }
)


@dataclass(frozen=True)
class Customers:
    """Create, read and change customers.

    Args:
        store: where the customers are.
        clock: when customers are created.

    >>> from orbcore import VirtualClock
    >>> from orbcore.storage import open_store
    >>> clock = VirtualClock(datetime(2024, 1, 1, tzinfo=UTC))
    >>> customers = Customers(open_store("memory://"), clock)
    >>> acme = customers.create("Acme", external_customer_id="acme", currency="USD",
    ...     timezone="America/Los_Angeles", customer_id="cus_acme")
    >>> customers.fetch_by_external_id("acme").timezone
    'America/Los_Angeles'
    >>> customers.update("cus_acme", timezone="Europe/Paris")
    Traceback (most recent call last):
      ...
    orbcore.ValidationError: timezone: is America/Los_Angeles and cannot change once set
    """

    store: Store
    clock: Clock

    def create(
        self,
        name: str,
        *,
        external_customer_id: str | None = None,
        email: str | None = None,
        currency: str | None = None,
        timezone: str = "UTC",
        billing_address: Mapping[str, str | None] | None = None,
        tax_ids: list[Mapping[str, str]] | None = None,
        metadata: Mapping[str, str] | None = None,
        customer_id: str | None = None,
    ) -> Customer:
        """Store a new customer.

        Args:
            name: the name invoices are addressed to.
            external_customer_id: the host's id for the customer; events may name the
                customer by it. Unique among customers.
            email: where invoices go.
            currency: the currency the customer is invoiced in; if left unset, it can be
                set once later.
            timezone: an IANA name; billing periods end at its local midnights. It cannot
                change afterwards.
            billing_address: Orb's address keys (``line1``, ``line2``, ``city``,
                ``state``, ``postal_code``, ``country``; the country an ISO 3166 code).
            tax_ids: each ``{"country", "type", "value"}``, as in Orb.
            metadata: string keys and values.
            customer_id: the record's id; ``cus_`` and a random hex if omitted.

        Raises:
            ValidationError: every invalid field, each with its path.
            ConflictError: ``customer_id`` or ``external_customer_id`` is taken.
        """
        fields: dict[str, object] = {
            "name": name,
            "external_customer_id": external_customer_id,
            "email": email,
            "currency": currency,
            "timezone": timezone,
            "billing_address": billing_address,
            "tax_ids": [] if tax_ids is None else tax_ids,
            "metadata": {} if metadata is None else metadata,
        }
        problems = _field_problems(fields)
        if customer_id is not None and (not isinstance(customer_id, str) or not customer_id):
            problems.append(Problem(("customer_id",), "must be a non-empty string"))
        if problems:
            raise ValidationError(problems)
        record = Customer(
            id=customer_id or f"cus_{uuid.uuid4().hex}",
            created_at=self.clock.now(),
            **_stored(fields),
        )
        with self.store.unit_of_work() as uow:
            if uow.customers.find(record.id) is not None:
                raise ConflictError(f"customer {record.id!r} exists")
            _check_external_id_free(uow, record)
            stored = uow.customers.add(record)
            uow.commit()
            return stored

    def fetch(self, customer_id: str) -> Customer:
        """The customer with this id.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.customers.get(customer_id)

    get = fetch

    def fetch_by_external_id(self, external_customer_id: str) -> Customer:
        """The customer with this external id.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            found = uow.customers.find_by(external_customer_id=external_customer_id)
        if found is None:
            raise NotFoundError(f"no customer with external_customer_id {external_customer_id!r}")
        return found

    def list(self, query: Query | None = None) -> Page[Customer]:
        """One page of customers: filter on ``external_customer_id``, ``email``,
        ``currency`` or ``created_at``; pass the page's ``next_cursor`` as ``after``.

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.customers.list(query)

    def update(
        self, customer_id: str, *, expected_revision: int | None = None, **fields: object
    ) -> Customer:
        """Change some of a customer's fields; the others keep their values.

        ``metadata`` is merged into the stored one, as in Orb: a key given ``None`` is
        removed, and ``metadata=None`` removes every key. ``billing_address=None`` and
        ``email=None`` clear them. An update that changes nothing stores nothing.

        Args:
            customer_id: the customer.
            expected_revision: refuse the update unless the stored revision is this one.
            **fields: any of ``name``, ``email``, ``external_customer_id``,
                ``currency``, ``timezone``, ``billing_address``, ``tax_ids``,
                ``metadata``, valued as in :meth:`create`.

        Raises:
            NotFoundError: there is no such customer.
            ValidationError: an unknown or invalid field; a change of the time zone, of
                a currency already set, or of an external id already set.
            ConflictError: the external id is taken, the customer changed meanwhile, or
                it is not at ``expected_revision``.
        """
        problems = [
            Problem((name,), "is not a customer field that can be updated")
            for name in sorted(set(fields) - _UPDATABLE)
        ]
        given = {name: value for name, value in fields.items() if name in _UPDATABLE}
        if "metadata" in given:
            problems += _metadata_problems(given["metadata"], removals=True)
        problems += _field_problems({k: v for k, v in given.items() if k != "metadata"})
        if problems:
            raise ValidationError(problems)
        with self.store.unit_of_work() as uow:
            current = uow.customers.get(customer_id)
            if expected_revision is not None and current.revision != expected_revision:
                raise ConflictError(
                    f"customer {customer_id!r} is at revision {current.revision}, "
                    f"not {expected_revision}"
                )
            changes = _changes(current, given)
            if not changes:
                return current
            updated = dataclasses.replace(current, **changes)
            _check_external_id_free(uow, updated)
            stored = uow.customers.update(updated)
            uow.commit()
            return stored


def _check_external_id_free(uow: UnitOfWork, record: Customer) -> None:
    # The store enforces uniqueness; looking first only gives a clearer message.
    external_id = record.external_customer_id
    if external_id is None:
        return
    holder = uow.customers.find_by(external_customer_id=external_id)
    if holder is not None and holder.id != record.id:
        raise ConflictError(f"external_customer_id {external_id!r} belongs to {holder.id!r}")


def _changes(current: Customer, given: Mapping[str, object]) -> dict[str, Any]:
    """The stored values ``given`` changes; raises if it changes a fixed one."""
    problems = []
    for name in ("timezone", "currency", "external_customer_id"):
        before = getattr(current, name)
        if name in given and before is not None and given[name] != before:
            problems.append(Problem((name,), f"is {before} and cannot change once set"))
    if problems:
        raise ValidationError(problems)
    changes = _stored({k: v for k, v in given.items() if k != "metadata"})
    if "metadata" in given:
        merged = dict(current.metadata) if given["metadata"] is not None else {}
        for key, value in _mapping(given["metadata"]).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        changes["metadata"] = merged
    return {k: v for k, v in changes.items() if getattr(current, k) != v}


def _stored(fields: Mapping[str, object]) -> dict[str, Any]:
    """The checked fields as the record keeps them (plain dicts and lists)."""
    stored: dict[str, Any] = dict(fields)
    if "currency" in stored and stored["currency"] is not None:
        stored["currency"] = get_currency(str(stored["currency"])).code
    if stored.get("billing_address") is not None:
        stored["billing_address"] = dict(_mapping(stored["billing_address"]))
    if "tax_ids" in stored:
        stored["tax_ids"] = [dict(_mapping(tax_id)) for tax_id in _list(stored["tax_ids"])]
    if "metadata" in stored:
        stored["metadata"] = dict(_mapping(stored["metadata"]))
    return stored


def _field_problems(fields: Mapping[str, object]) -> list[Problem]:
    problems: list[Problem] = []
    for name, value in fields.items():
        problems += _CHECKS[name](value)
    return problems


def _name_problems(value: object) -> list[Problem]:
    return _text_problems(value, "name", required=True)


def _external_id_problems(value: object) -> list[Problem]:
    return _text_problems(value, "external_customer_id", required=False)


def _email_problems(value: object) -> list[Problem]:
    problems = _text_problems(value, "email", required=False)
    if not problems and isinstance(value, str) and not _looks_like_email(value):
        problems.append(Problem(("email",), f"{value!r} is not an email address"))
    return problems


def _currency_problems(value: object) -> list[Problem]:
    if value is None:
        return []
    try:
        get_currency(value)  # type: ignore[arg-type]  # a non-string is refused
    except ValidationError as error:
        return list(error.problems)
    return []


def _timezone_problems(value: object) -> list[Problem]:
    try:
        resolve_zone(value)  # type: ignore[arg-type]  # a non-string is refused
    except ValidationError as error:
        return list(error.problems)
    return []


def _text_problems(value: object, name: str, *, required: bool) -> list[Problem]:
    if value is None and not required:
        return []
    if not isinstance(value, str) or not value.strip():
        return [Problem((name,), "must be a non-empty string")]
    return []


def _looks_like_email(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() for c in value)


def _address_problems(value: object) -> list[Problem]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [Problem(("billing_address",), "must be an object of address lines")]
    problems = [
        Problem(("billing_address", str(key)), "is not an address field")
        for key in value
        if key not in _ADDRESS_KEYS
    ]
    for key, line in value.items():
        if key in _ADDRESS_KEYS and line is not None and not isinstance(line, str):
            problems.append(Problem(("billing_address", key), "must be a string or null"))
    country = value.get("country")
    if isinstance(country, str) and not _is_country(country):
        problems.append(
            Problem(("billing_address", "country"), f"{country!r} is not an ISO 3166 code")
        )
    return problems


def _tax_id_problems(value: object) -> list[Problem]:
    if not isinstance(value, list | tuple):
        return [Problem(("tax_ids",), "must be a list of tax ids")]
    problems = []
    for index, tax_id in enumerate(value):
        if not isinstance(tax_id, Mapping):
            problems.append(Problem(("tax_ids", index), "must be an object"))
            continue
        for key in _TAX_ID_KEYS:
            text = tax_id.get(key)
            if not isinstance(text, str) or not text:
                problems.append(Problem(("tax_ids", index, key), "must be a non-empty string"))
        problems += [
            Problem(("tax_ids", index, str(key)), "is not a tax id field")
            for key in tax_id
            if key not in _TAX_ID_KEYS
        ]
    return problems


def _metadata_problems(value: object, *, removals: bool) -> list[Problem]:
    if value is None and removals:
        return []
    if not isinstance(value, Mapping):
        return [Problem(("metadata",), "must map strings to strings")]
    return [
        Problem(("metadata", str(key)), "must map strings to strings" + " or null" * removals)
        for key, item in value.items()
        if not isinstance(key, str) or not (isinstance(item, str) or (removals and item is None))
    ]


_CHECKS: dict[str, Callable[[object], list[Problem]]] = {
    "name": _name_problems,
    "external_customer_id": _external_id_problems,
    "email": _email_problems,
    "currency": _currency_problems,
    "timezone": _timezone_problems,
    "billing_address": _address_problems,
    "tax_ids": _tax_id_problems,
    "metadata": lambda value: _metadata_problems(value, removals=False),
}


def _is_country(code: str) -> bool:
    return len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []
