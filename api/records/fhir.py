"""FHIR R4 resources as records: validation (fhir.resources' R4B models), the category a
resource is filed under, and the check that it is about the patient it is written for.

A resource names its patient through `subject` or `patient` (top level). Either may be
absent (the record is filed under the patient of the URL); when present it must denote
that patient, as the literal reference `Patient/<UHID>` or as a logical reference whose
identifier has the system `UHID_SYSTEM` and the UHID as value. A `Patient` resource whose
identifiers carry a UHID must carry this patient's. Anything else is refused.

A record keeps the client's JSON numbers exactly as written: FHIR decimals carry their
precision (`105.00` is not `105.0`), so bodies are parsed with `parse_json` (numbers with a
fraction or exponent become `WrittenDecimal`, which remembers its text) and stored as
`serialise` writes them. The R4B models validate; they never produce the stored bytes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from api.errors import Invalid
from api.identity.uhid import InvalidUHID, normalize_uhid

UHID_SYSTEM = "https://ohms.dev/fhir/sid/uhid"

# Resource types that are containers of other resources: write those one at a time.
_REFUSED_TYPES = frozenset({"Bundle", "Parameters"})

_BY_TYPE = {
    "Encounter": "encounter",
    "EpisodeOfCare": "encounter",
    "Condition": "condition",
    "AllergyIntolerance": "allergy",
    "Immunization": "immunization",
    "ImmunizationRecommendation": "immunization",
    "Procedure": "procedure",
    "ImagingStudy": "imaging",
    "Media": "imaging",
    "MedicationRequest": "medication",
    "MedicationStatement": "medication",
    "MedicationAdministration": "medication",
    "MedicationDispense": "medication",
    "Specimen": "lab",
}
_OBSERVATION_CATEGORIES = {"laboratory": "lab", "vital-signs": "vital_signs",
                           "imaging": "imaging"}
# HL7 v2 table 0074 diagnostic service sections (and the LOINC class codes Synthea uses).
_LAB_SECTIONS = frozenset({"LAB", "laboratory", "HM", "CH", "MB", "SP", "PAT", "BLB",
                           "CP", "HLA", "IMM", "SR", "TX", "VR", "MYC", "MCB", "CUS",
                           "LP7839-6"})
_IMAGING_SECTIONS = frozenset({"RAD", "RX", "CT", "MR", "NMR", "NMS", "RUS", "US", "VUS",
                               "OUS", "XRC", "CTH", "CUS-imaging", "LP29684-5"})


# FHIR's id datatype (a resource's logical id).
_RESOURCE_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
# JSON property names of FHIR elements (with `_` for a primitive's id and extensions).
_PROPERTY_NAME = re.compile(r"_?[A-Za-z][A-Za-z0-9]{0,99}")


class WrittenDecimal(Decimal):
    """A JSON number with a fraction or an exponent: its value, and its text as written
    (`serialise` writes the text back, so `105.00` stays `105.00` and `1e2` stays `1e2`)."""

    text: str

    def __new__(cls, text: str) -> WrittenDecimal:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _refuse_constant(name: str) -> object:
    raise Invalid(f"{name} is not a JSON number (FHIR decimals are finite)")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        # json.loads would keep the last of the duplicates: the record would change.
        raise Invalid("an object names the same property twice")
    return obj


def parse_json(body: bytes) -> object:
    """A request body (UTF-8 JSON) parsed with its numbers kept exactly as written."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the body is not UTF-8 text") from None
    try:
        return json.loads(text, parse_float=WrittenDecimal, parse_constant=_refuse_constant,
                          object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise Invalid(f"the body is not JSON (line {exc.lineno}, column {exc.colno}: "
                      f"{exc.msg})") from None
    except ValueError:  # e.g. an integer of more digits than Python converts
        raise Invalid("the body holds a number that cannot be read") from None


def _finite(number: float | Decimal) -> bool:
    return number.is_finite() if isinstance(number, Decimal) else math.isfinite(number)


def _json_tokens(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            if n:
                yield ","
            yield json.dumps(str(key), ensure_ascii=False)
            yield ":"
            yield from _json_tokens(item)
        yield "}"
    elif isinstance(value, (list, tuple)):
        yield "["
        for n, item in enumerate(value):
            if n:
                yield ","
            yield from _json_tokens(item)
        yield "]"
    elif isinstance(value, (float, Decimal)) and not _finite(value):
        raise Invalid("a decimal is not finite")
    elif isinstance(value, WrittenDecimal):
        yield value.text
    elif isinstance(value, Decimal):
        yield str(value)
    else:  # str, int, float, bool, None: as json writes them
        yield json.dumps(value, ensure_ascii=False)


def serialise(resource: dict[str, Any]) -> bytes:
    """The resource as compact UTF-8 JSON, every number as the client wrote it; the bytes a
    record stores (encrypted). Refuses (Invalid) text UTF-8 cannot hold."""
    text = "".join(_json_tokens(resource))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        where = unpaired_surrogate_path(resource)
        raise Invalid(f"{where or '(resource)'}: the string holds an unpaired surrogate") \
            from None


def _has_unpaired_surrogate(text: str) -> bool:
    # json.loads joins escaped surrogate pairs into one code point: what is left is unpaired.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def unpaired_surrogate_path(value: object, path: str = "") -> str | None:
    """Where (a path, without the text) `value` holds a string UTF-8 cannot encode."""
    if isinstance(value, str):
        return (path or "(resource)") if _has_unpaired_surrogate(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _has_unpaired_surrogate(key):
                return path or "(resource)"
            found = unpaired_surrogate_path(item, _child(path, str(key)))
            if found:
                return found
    if isinstance(value, (list, tuple)):
        for n, item in enumerate(value):
            found = unpaired_surrogate_path(item, f"{path}[{n}]")
            if found:
                return found
    return None


def _check_value(value: object, path: str) -> None:
    if isinstance(value, str):
        if not value:
            raise Invalid(f"{path}: a string, when present, is not empty")
        if _has_unpaired_surrogate(value):
            raise Invalid(f"{path}: the string holds an unpaired surrogate")
    elif isinstance(value, dict):
        _check_object(value, path)
    elif isinstance(value, list):
        raise Invalid(f"{path}: an array holds no arrays")
    elif isinstance(value, (float, Decimal)) and not _finite(value):
        raise Invalid(f"{path}: a decimal is finite")


def _check_array(owner: dict[str, Any], key: str, items: list[Any], path: str) -> None:
    if not items:
        raise Invalid(f"{path}: an array, when present, holds at least one item")
    # A primitive array and its `_` twin (ids, extensions) align by index; either may hold
    # null where the other holds the item. Nowhere else is null a FHIR value.
    twin = owner.get(key[1:] if key.startswith("_") else f"_{key}")
    if all(item is None for item in items):
        raise Invalid(f"{path}: an array holds at least one item that is not null")
    for n, item in enumerate(items):
        where = f"{path}[{n}]"
        if item is None:
            if not (isinstance(twin, list) and len(twin) == len(items)
                    and twin[n] is not None):
                raise Invalid(f"{where}: null is not a FHIR value (leave the element out)")
            continue
        _check_value(item, where)


def _check_object(obj: dict[str, Any], path: str) -> None:
    if not obj:
        raise Invalid(f"{path or '(resource)'}: an object, when present, is not empty")
    for key, item in obj.items():
        if not isinstance(key, str) or not _PROPERTY_NAME.fullmatch(key):
            raise Invalid(f"{path or '(resource)'}: a property name is a FHIR element name "
                          "(letters and digits, optionally after `_`)")
        where = _child(path, key)
        if item is None:
            raise Invalid(f"{where}: null is not a FHIR value (leave the element out)")
        if isinstance(item, list):
            _check_array(obj, key, item, where)
        else:
            _check_value(item, where)
    if "contained" in obj and isinstance(obj["contained"], list):
        for n, contained in enumerate(obj["contained"]):
            if isinstance(contained, dict):
                _check_resource_id(contained, f"{_child(path, 'contained')}[{n}]")


def _check_resource_id(resource: dict[str, Any], path: str) -> None:
    ident = resource.get("id")
    if ident is not None and not (isinstance(ident, str) and _RESOURCE_ID.fullmatch(ident)):
        raise Invalid(f"{_child(path, 'id')}: a resource id is 1 to 64 characters of A-Z, "
                      "a-z, 0-9, '-' and '.'")


def check_json_rules(resource: dict[str, Any]) -> None:
    """The rules of FHIR's JSON format the R4B models leave out, checked on the JSON as
    given: no null (except aligned primitive arrays), no empty object, array or string, no
    unpaired surrogate, resource ids (of the resource and its contained resources) of the id
    datatype. Invalid names the path and the rule, never the value."""
    _check_resource_id(resource, "")
    _check_object(resource, "")


def _codes(resource: dict[str, Any], field: str) -> set[str]:
    value = resource.get(field)
    concepts = value if isinstance(value, list) else [value]
    codes: set[str] = set()
    for concept in concepts:
        if isinstance(concept, dict):
            for coding in concept.get("coding") or []:
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    codes.add(coding["code"])
    return codes


def category_of(resource: dict[str, Any]) -> str:
    """The consent category a resource is filed under (a grant names categories).

    Observations go by their FHIR category (laboratory, vital-signs, imaging), diagnostic
    reports by their service section (laboratory or imaging); whatever has no clinical
    category of its own (notes, documents, compositions, demographics, observations such as
    social history) is a `document`.
    """
    kind = str(resource["resourceType"])
    if kind == "Observation":
        for code in sorted(_codes(resource, "category")):
            if code in _OBSERVATION_CATEGORIES:
                return _OBSERVATION_CATEGORIES[code]
        return "document"
    if kind == "DiagnosticReport":
        codes = _codes(resource, "category")
        if codes & _LAB_SECTIONS:
            return "lab"
        if codes & _IMAGING_SECTIONS:
            return "imaging"
        return "document"
    return _BY_TYPE.get(kind, "document")


def validate_resource(body: object) -> dict[str, Any]:
    """The resource, validated as FHIR R4; Invalid naming only where and why (never values:
    the payload is clinical)."""
    if not isinstance(body, dict):
        raise Invalid("the body must be one FHIR resource (a JSON object)")
    kind = body.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise Invalid("the resource has no resourceType")
    check_json_rules(body)
    if kind in _REFUSED_TYPES:
        raise Invalid(f"{kind} is not a record: write its resources one at a time")
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        raise Invalid("resourceType is not a FHIR R4 resource type") from None
    try:
        model.model_validate(body)
    except pydantic.ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(resource)'}: {err['type']}"
            for err in exc.errors(include_input=False, include_url=False)[:10])
        raise Invalid(f"not a valid FHIR R4 {kind}: {where}") from None
    return body


def _reference_uhid(reference: object) -> str | None:
    """The UHID a Reference denotes, or None when it denotes no patient by UHID."""
    if not isinstance(reference, dict):
        return None
    literal = reference.get("reference")
    if isinstance(literal, str):
        kind, _, ident = literal.partition("/")
        if kind != "Patient":
            return None
        try:
            return normalize_uhid(ident)
        except InvalidUHID:
            return None
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("system") == UHID_SYSTEM:
        try:
            return normalize_uhid(str(identifier.get("value", "")))
        except InvalidUHID:
            return None
    return None


def check_subject(resource: dict[str, Any], patient_uhid: str) -> None:
    """Refuse a resource that names another patient (or names its patient in a way that
    cannot be checked)."""
    if resource["resourceType"] == "Patient":
        for identifier in resource.get("identifier") or []:
            if isinstance(identifier, dict) and identifier.get("system") == UHID_SYSTEM \
                    and _reference_uhid({"identifier": identifier}) != patient_uhid:
                raise Invalid("the resource is about another patient")
        return
    for field in ("subject", "patient"):
        if field in resource and _reference_uhid(resource[field]) != patient_uhid:
            raise Invalid(f"the resource's {field} is not this patient: use "
                          f"Patient/<UHID> or an identifier of system {UHID_SYSTEM}")
