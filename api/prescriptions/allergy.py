"""The prescribing allergy check: a patient's AllergyIntolerance resources matched against a
medication by ingredient and by drug class.

Sources this table relies on (names and codes as published; no licensed content is copied):
- Drug classes: the WHO Collaborating Centre for Drug Statistics Methodology, ATC/DDD Index
  2024 (https://atcddd.fhi.no/atc_ddd_index/): J01C beta-lactam antibacterials, penicillins;
  J01D other beta-lactam antibacterials, of which J01DB-J01DI cephalosporins; J01E
  sulfonamides and trimethoprim; M01A anti-inflammatory and antirheumatic products,
  non-steroids (NSAIDs); N02A opioids. Two clinical conventions are added on purpose and
  marked: aspirin (ATC N02BA01/B01AC06, not M01A) cross-reacts with NSAIDs in
  NSAID-exacerbated hypersensitivity, and tramadol/tapentadol are opioids (N02AX).
- Ingredients: RxNorm ingredient (TTY=IN) concept ids, National Library of Medicine, as
  shown by RxNav for the RxNorm release of 2024-11 (https://mor.nlm.nih.gov/RxNav/).
- A few SNOMED CT substance concepts (International Edition 2024-09) that AllergyIntolerance
  records commonly use; any other code is matched through its display text.

Matching: an allergy names ingredients (by RxNorm ingredient code, SNOMED substance code, or
an ingredient name in its text) and classes (by name or common synonym: "penicillin",
"sulfa", "NSAID", ...; an allergy to an ingredient extends to its class, the usual
cross-reactivity rule). A medication (an RxNorm code: an ingredient, or a clinical drug whose
display names its ingredients, e.g. "amoxicillin 500 MG Oral Capsule") matches when it shares
an ingredient or a class with an allergy. Refuted, entered-in-error, inactive and resolved
allergies do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED_CT = "http://snomed.info/sct"
TABLE_SOURCE = "WHO ATC/DDD Index 2024; RxNorm (NLM) 2024-11 ingredient RxCUIs"


@dataclass(frozen=True)
class DrugClass:
    atc: str
    name: str
    # Words an allergy's text may use for the whole class (lower case).
    synonyms: tuple[str, ...]


PENICILLINS = DrugClass("J01C", "penicillins", ("penicillin", "penicillins", "pcn",
                                                "beta-lactam penicillin"))
CEPHALOSPORINS = DrugClass("J01D", "cephalosporins", ("cephalosporin", "cephalosporins"))
SULFONAMIDES = DrugClass("J01E", "sulfonamides", ("sulfonamide", "sulfonamides", "sulfa",
                                                  "sulpha", "sulfa drugs"))
NSAIDS = DrugClass("M01A", "NSAIDs", ("nsaid", "nsaids", "non-steroidal anti-inflammatory",
                                      "nonsteroidal anti-inflammatory"))
OPIOIDS = DrugClass("N02A", "opioids", ("opioid", "opioids", "opiate", "opiates",
                                        "narcotic", "narcotics"))
CLASSES = (PENICILLINS, CEPHALOSPORINS, SULFONAMIDES, NSAIDS, OPIOIDS)


@dataclass(frozen=True)
class Ingredient:
    name: str
    rxcui: str
    drug_class: DrugClass
    # Other names an allergy or a drug's display may use (lower case).
    aliases: tuple[str, ...] = ()


INGREDIENTS = (
    # J01C penicillins
    Ingredient("amoxicillin", "723", PENICILLINS, ("amoxycillin",)),
    Ingredient("ampicillin", "733", PENICILLINS),
    Ingredient("penicillin g", "7980", PENICILLINS, ("benzylpenicillin",)),
    Ingredient("penicillin v", "7984", PENICILLINS, ("phenoxymethylpenicillin",)),
    Ingredient("dicloxacillin", "3356", PENICILLINS),
    Ingredient("nafcillin", "7233", PENICILLINS),
    Ingredient("oxacillin", "7773", PENICILLINS),
    Ingredient("piperacillin", "8339", PENICILLINS),
    # J01D cephalosporins
    Ingredient("cephalexin", "2231", CEPHALOSPORINS, ("cefalexin",)),
    Ingredient("cefazolin", "2180", CEPHALOSPORINS),
    Ingredient("ceftriaxone", "2193", CEPHALOSPORINS),
    Ingredient("cefuroxime", "2194", CEPHALOSPORINS),
    Ingredient("cefixime", "25033", CEPHALOSPORINS),
    Ingredient("cefdinir", "25037", CEPHALOSPORINS),
    Ingredient("cefepime", "20481", CEPHALOSPORINS),
    # J01E sulfonamides
    Ingredient("sulfamethoxazole", "10180", SULFONAMIDES),
    Ingredient("sulfadiazine", "10171", SULFONAMIDES),
    Ingredient("sulfasalazine", "9524", SULFONAMIDES),
    # M01A NSAIDs
    Ingredient("ibuprofen", "5640", NSAIDS),
    Ingredient("naproxen", "7258", NSAIDS),
    Ingredient("diclofenac", "3355", NSAIDS),
    Ingredient("indomethacin", "5781", NSAIDS, ("indometacin",)),
    Ingredient("ketorolac", "35827", NSAIDS),
    Ingredient("meloxicam", "41493", NSAIDS),
    Ingredient("celecoxib", "140587", NSAIDS),
    # Clinical convention (see the module's docstring): not M01A in ATC.
    Ingredient("aspirin", "1191", NSAIDS, ("acetylsalicylic acid",)),
    # N02A opioids
    Ingredient("morphine", "7052", OPIOIDS),
    Ingredient("codeine", "2670", OPIOIDS),
    Ingredient("oxycodone", "7804", OPIOIDS),
    Ingredient("hydrocodone", "5489", OPIOIDS),
    Ingredient("hydromorphone", "3423", OPIOIDS),
    Ingredient("fentanyl", "4337", OPIOIDS),
    Ingredient("methadone", "6813", OPIOIDS),
    Ingredient("tramadol", "10689", OPIOIDS),
    Ingredient("tapentadol", "787390", OPIOIDS),
)
_BY_RXCUI = {i.rxcui: i for i in INGREDIENTS}
# SNOMED CT substances (International Edition 2024-09): a class or an ingredient.
_SNOMED_SUBSTANCES: dict[str, Ingredient | DrugClass] = {
    "764146007": PENICILLINS,     # Penicillin (substance)
    "372687004": _BY_RXCUI["723"],  # Amoxicillin (substance)
    "387207008": _BY_RXCUI["5640"],  # Ibuprofen (substance)
    "387458008": _BY_RXCUI["1191"],  # Aspirin (substance)
    "373529000": _BY_RXCUI["7052"],  # Morphine (substance)
}
_INACTIVE = frozenset({"inactive", "resolved"})
_NOT_AN_ALLERGY = frozenset({"refuted", "entered-in-error"})


def _words(text: str) -> str:
    """Lower case, runs of non-letters as one space, padded: whole-word matching."""
    return f" {re.sub(r'[^a-z0-9]+', ' ', text.lower()).strip()} "


def _says(text: str, phrase: str) -> bool:
    return _words(phrase) in text


@dataclass(frozen=True)
class Substances:
    ingredients: frozenset[Ingredient]
    classes: frozenset[DrugClass]

    @property
    def all_classes(self) -> frozenset[DrugClass]:
        return self.classes | {i.drug_class for i in self.ingredients}


def _from_text(texts: Iterable[str], *, with_classes: bool) -> Substances:
    text = " ".join(_words(t) for t in texts if t)
    ingredients = {i for i in INGREDIENTS
                   if _says(text, i.name) or any(_says(text, a) for a in i.aliases)}
    classes = {c for c in CLASSES if with_classes and any(_says(text, s) for s in c.synonyms)}
    # "penicillin g" names the ingredient; a bare "penicillin" names the class.
    return Substances(frozenset(ingredients), frozenset(classes))


def medication_substances(system: str, code: str, display: str) -> Substances:
    """What a prescribed medication contains, as far as the table knows it."""
    found = _from_text([display], with_classes=False)
    ingredient = _BY_RXCUI.get(code) if system == RXNORM else None
    if ingredient is not None:
        found = Substances(found.ingredients | {ingredient}, found.classes)
    return found


def _codings(concept: object) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def _status_code(concept: object) -> str | None:
    codes = [c.get("code") for c in _codings(concept)]
    return next((c for c in codes if isinstance(c, str)), None)


def allergy_substances(resource: dict[str, Any]) -> Substances | None:
    """The ingredients and classes an AllergyIntolerance names, or None when it does not
    count (not an AllergyIntolerance; refuted, entered in error, inactive or resolved)."""
    if resource.get("resourceType") != "AllergyIntolerance":
        return None
    if _status_code(resource.get("verificationStatus")) in _NOT_AN_ALLERGY:
        return None
    if _status_code(resource.get("clinicalStatus")) in _INACTIVE:
        return None
    code = resource.get("code")
    texts: list[str] = []
    ingredients: set[Ingredient] = set()
    classes: set[DrugClass] = set()
    for coding in _codings(code):
        system, value = coding.get("system"), coding.get("code")
        if system == RXNORM and isinstance(value, str) and value in _BY_RXCUI:
            ingredients.add(_BY_RXCUI[value])
        elif system == SNOMED_CT and isinstance(value, str) and value in _SNOMED_SUBSTANCES:
            known = _SNOMED_SUBSTANCES[value]
            if isinstance(known, Ingredient):
                ingredients.add(known)
            else:
                classes.add(known)
        if isinstance(coding.get("display"), str):
            texts.append(coding["display"])
    if isinstance(code, dict) and isinstance(code.get("text"), str):
        texts.append(code["text"])
    # Reactions may name the substance too (reaction.substance).
    for reaction in resource.get("reaction") or []:
        if isinstance(reaction, dict):
            substance = reaction.get("substance")
            texts.extend(str(c.get("display")) for c in _codings(substance) if c.get("display"))
            if isinstance(substance, dict) and isinstance(substance.get("text"), str):
                texts.append(substance["text"])
    named = _from_text(texts, with_classes=True)
    return Substances(frozenset(ingredients) | named.ingredients,
                      frozenset(classes) | named.classes)


def allergy_name(resource: dict[str, Any]) -> str:
    """How the warning names the allergy: its code's text or first display."""
    code = resource.get("code")
    if isinstance(code, dict) and isinstance(code.get("text"), str) and code["text"].strip():
        return str(code["text"]).strip()
    for coding in _codings(code):
        if isinstance(coding.get("display"), str):
            return str(coding["display"])
    return "an allergy"


@dataclass(frozen=True)
class AllergyMatch:
    allergy: str           # how the allergy is named
    record: str | None     # its record id
    reason: str            # "ingredient amoxicillin" or "class penicillins (ATC J01C)"


def match(medication: Substances, allergy: dict[str, Any],
          record: str | None = None) -> AllergyMatch | None:
    """Whether the medication is one the allergy warns against, and why."""
    named = allergy_substances(allergy)
    if named is None:
        return None
    shared = medication.ingredients & named.ingredients
    if shared:
        first = sorted(i.name for i in shared)[0]
        return AllergyMatch(allergy_name(allergy), record, f"ingredient {first}")
    classes = medication.all_classes & named.all_classes
    if classes:
        c = sorted(classes, key=lambda k: k.atc)[0]
        return AllergyMatch(allergy_name(allergy), record, f"class {c.name} (ATC {c.atc})")
    return None
