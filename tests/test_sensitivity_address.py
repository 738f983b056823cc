"""Personal postal addresses (detector ``postal_address``): a street address with a personal cue
(an address word, a person's name or record) is confidential; a store's, a landmark's, a
fictional one, code and word problems stay public."""

from __future__ import annotations

import re
import time

import pytest

from hrouter.policy import REDACTABLE
from hrouter.policy_model import DEFAULT_DETECTORS, SensitivityConfig
from hrouter.redact import redact
from hrouter.signals.detectors import address
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def addr(text: str):
    res = tag(text)
    return res, [f for f in res.findings if f.detector == "postal_address"]


def _digits_and_words(value: str) -> list[str]:
    """The parts of an address a mask must not show: its numbers and street/city words."""
    return [w for w in re.findall(r"[^\W_]+", value) if w.isdigit() or (len(w) >= 3 and w[0].isupper())]


#: (text, the address the finding must cover, words of the mask)
POSITIVE = [
    # the brief's four
    ("Ship to: Maria Garcia, 1234 Elm St, Apt 5, Austin, TX 78701",
     "1234 Elm St, Apt 5, Austin, TX 78701", "[street address, unit, city, US ZIP]"),
    ("My home address is 12 Oak Street, Springfield, IL 62704. Can you write a complaint letter to my landlord?",
     "12 Oak Street, Springfield, IL 62704", "[street address, city, US ZIP]"),
    ("Meine Adresse: Hauptstraße 12, 10115 Berlin", "Hauptstraße 12, 10115 Berlin",
     "[street address, city, postal code]"),
    ("Name: John Smith\nAddress: 55 Baker Street, London NW1 6XE", "55 Baker Street, London NW1 6XE",
     "[street address, city, UK postcode]"),
    # EN variants
    ("Maria Garcia, 1234 Elm St", "1234 Elm St", "[street address]"),
    ("I live at 12 oak street, can you help me write to the council?", "12 oak street", "[street address]"),
    ("My address: 123 W 42nd St, New York, NY 10036", "123 W 42nd St, New York, NY 10036",
     "[street address, city, US ZIP]"),
    ("Address: 12 St. Mary's Road, Oxford OX1 2AB", "12 St. Mary's Road, Oxford OX1 2AB",
     "[street address, city, UK postcode]"),
    ("Send it to 12 Oak St, Springfield, IL 62704 please", "12 Oak St, Springfield, IL 62704",
     "[street address, city, US ZIP]"),
    ("mailing address: 77 Maple Ave #4B, Toronto, ON M5V 2T6", "77 Maple Ave #4B, Toronto, ON M5V 2T6",
     "[street address, unit, city, CA postal code]"),
    ("Deliver to 9 Kings Road, Brighton, BN1 2PQ", "9 Kings Road, Brighton, BN1 2PQ",
     "[street address, city, UK postcode]"),
    ("Zip+4 too. Billing address is 400 Lakeview Dr, Austin, TX 78701-1234", "400 Lakeview Dr, Austin, TX 78701-1234",
     "[street address, city, US ZIP]"),
    ("John Smith\n55 Baker Street\nLondon NW1 6XE", "55 Baker Street\nLondon NW1 6XE",
     "[street address, city, UK postcode]"),
    ("Customer: Jane Doe | 12 Oak Street | Austin, TX 78701", "12 Oak Street | Austin, TX 78701",
     "[street address, city, US ZIP]"),
    ("Maria Garcia lives at 1234 Elm St, Austin, TX 78701", "1234 Elm St, Austin, TX 78701",
     "[street address, city, US ZIP]"),
    # DE, FR, ES, IT, NL, PT, PL
    ("Lieferadresse: Max Mustermann, Musterstraße 5, 12345 Musterstadt", "Musterstraße 5, 12345 Musterstadt",
     "[street address, city, postal code]"),
    ("Wohnhaft in der Berliner Straße 45, 10713 Berlin", "Berliner Straße 45, 10713 Berlin",
     "[street address, city, postal code]"),
    ("Anschrift: Kaiser-Wilhelm-Ring 7, 50672 Köln", "Kaiser-Wilhelm-Ring 7, 50672 Köln",
     "[street address, city, postal code]"),
    ("Mon adresse : 12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris",
     "[street address, city, postal code]"),
    ("Domicile : 8 bis avenue Victor Hugo, 75016 Paris", "8 bis avenue Victor Hugo, 75016 Paris",
     "[street address, city, postal code]"),
    ("Mi dirección es Calle Mayor 5, 28013 Madrid", "Calle Mayor 5, 28013 Madrid",
     "[street address, city, postal code]"),
    ("Domicilio: C/ de Alcalá 42, 28014 Madrid", "C/ de Alcalá 42, 28014 Madrid",
     "[street address, city, postal code]"),
    ("Il mio indirizzo è Via Roma 10, 00184 Roma", "Via Roma 10, 00184 Roma", "[street address, city, postal code]"),
    ("Mijn adres is Kerkstraat 12, 1017 GC Amsterdam", "Kerkstraat 12, 1017 GC Amsterdam",
     "[street address, city, NL postcode]"),
    ("Morada: Rua Augusta 100, 1100-053 Lisboa", "Rua Augusta 100, 1100-053 Lisboa",
     "[street address, city, PT postcode]"),
    ("Adres zamieszkania: ul. Marszałkowska 10/4, 00-590 Warszawa", "ul. Marszałkowska 10/4, 00-590 Warszawa",
     "[street address, city, PL postcode]"),
    # records: JSON, YAML, CSV, key-value
    ('{"name": "Jane Roe", "address": "12 Oak St", "city": "Austin"}', "12 Oak St", "[street address]"),
    ("customers:\n  - name: Jane Roe\n    address: 4 Elm Road, Leeds LS1 4AP", "4 Elm Road, Leeds LS1 4AP",
     "[street address, city, UK postcode]"),
    ("name,address,city\nMaria Garcia,12 Oak St,Austin\n", "12 Oak St", "[street address]"),
    ("Patient: John Smith\nDOB: unknown\nAddress: 42 Elm Street", "42 Elm Street", "[street address]"),
]


@pytest.mark.parametrize("text,value,mask", POSITIVE)
def test_personal_addresses_are_confidential(text, value, mask):
    res, hits = addr(text)
    assert res.tier == "confidential", res
    assert hits, res
    f = hits[0]
    assert 0 <= f.start < f.end <= len(text)
    assert text[f.start:f.end] == value
    assert f.masked == mask
    for part in _digits_and_words(value):  # the mask never shows the street, number or city
        assert part not in f.masked, (part, f.masked)
    assert f.verdict.startswith("personal: ")


def test_an_address_identifies_the_patient_for_phi():
    text = "The patient at 42 Elm Street, Boston MA 02115 was diagnosed with HIV"
    res = tag(text)
    names = {f.detector for f in res.findings}
    assert res.tier == "confidential" and {"postal_address", "phi"} <= names, res


@pytest.mark.parametrize("text", [
    # business and public addresses in prose
    "Visit our store at 1234 Elm St, Austin, TX 78701",
    "Our office address is 100 Main St, Suite 200, Boston, MA 02110.",
    "The conference will be held at the Hilton, 1234 Main Street, Chicago, IL 60601.",
    "the White House at 1600 Pennsylvania Avenue",
    "Sherlock Holmes lived at 221B Baker Street",
    "Write a story about a detective whose address is 221B Baker Street, London NW1 6XE.",
    "The Simpsons live at 742 Evergreen Terrace, Springfield.",
    "Harry Potter lived at 4 Privet Drive, Little Whinging.",
    "Apple Park, One Apple Park Way, Cupertino, CA 95014",
    "Google's headquarters are at 1600 Amphitheatre Parkway, Mountain View, CA 94043.",
    "Unsere Filiale: Hauptstraße 12, 10115 Berlin, geöffnet 9-18 Uhr.",
    "The museum at 11 West 53rd Street is open daily.",
    "Acme Corp, 12 Main Street, Springfield, IL 62704",
    # word problems, fiction, quizzes
    "Tom lives at 25 Oak Street and walks 3 miles to school. How many miles does he walk in a week?",
    "Ron’s garden has 42 plants. Each row has 7 plants. How many rows are there?",
    "Avery needs to buy a 3 piece place setting for 12 people.",
    "He walked 5 miles down the road to the store.",
    "In 1990 Oak Street was renamed.",
    "Which is a location? A. 5 miles east of Pittsburgh B. 479 Elm Street, Muncie, Indiana",
    "What's the ZIP code in '221 Baker Lane, Springfield, IL 62704'?",
    "I have a farm of 50 acres close to the town.",
    # code
    "st = 5\nRd = 3\nPl = 4\nprint(st + Rd)",
    "ADD Rd, Rn, #4 ; Rd = destination register",
    "Dr. Smith saw 12 patients; Dr. Jones saw 8.",
    "for (int st = 0; st < 10; st++) { ave += x[st]; }",
    "my_address = get_address(12)  # address of the 12th street object",
    "Mmm, way more than 5 Way points, 3 place holders.",
    # more business, example and third-person prose
    "Pizza delivery from Joe's, 12 Main St, Austin, TX 78701",
    "For example, the address 1234 Elm St, Austin, TX 78701 has three parts.",
    "Contact John Smith at our office, 12 Main St, Boston, MA 02110",
    "1600 Pennsylvania Ave NW, Washington, DC 20500 is the address of the White House.",
    "Rechnungsadresse\nFirma Müller GmbH\nIndustriestraße 7\n70565 Stuttgart",
    "The Eiffel Tower is at 5 Avenue Anatole France, 75007 Paris.",
    "Our new Berlin office is at Friedrichstraße 68, 10117 Berlin.",
    "Mr. Brown's house at 10 Elm Street burned down.",
    "Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA",
    "Computer Methods in Applied Mechanics and Engineering, 152 (1-2), address: see the journal",
    "Address the issue: during 2020 the String 1 test failed",
    # code that looks like a prefix street type
    "convert to unicode via UTF-8 and address 0x10 via PEP 660",
    "file_actions.append((os.POSIX_SPAWN_DUP2, fd, fd2))  # address",
    "res = stats.ppcc_plot(x, c/2, 2*c)  # address",
])
def test_business_public_fictional_and_code_stay_public(text):
    res, hits = addr(text)
    assert not hits, res
    assert res.tier == "public", res


def test_detector_is_registered_confidential_redactable_and_needs_a_digit():
    assert DEFAULT_DETECTORS["postal_address"] == "confidential"
    assert "postal_address" in REDACTABLE
    assert tag("My address is Oak Street, Springfield").tier == "public"  # no house number: no shape


def test_redaction_replaces_the_whole_address():
    text = "Ship to: Maria Garcia, 1234 Elm St, Apt 5, Austin, TX 78701 - thanks"
    res = tag(text)
    r = redact(text, res.findings, ("postal_address",))
    assert r is not None
    assert "1234" not in r.text and "Elm" not in r.text and "78701" not in r.text
    assert "[POSTAL_ADDRESS_1]" in r.text
    assert r.mapping["[POSTAL_ADDRESS_1]"] == "1234 Elm St, Apt 5, Austin, TX 78701"


def test_many_addresses_past_the_budget_fail_closed():
    text = "".join(f"Via Roma {i}\n" for i in range(1, address._MAX_CHECKS + 40))
    res, hits = addr(text)
    assert res.tier == "confidential" and hits
    assert any("unchecked" in f.verdict for f in hits)


ADVERSARIAL = {
    "many_en": "Maria Garcia, 1234 Elm St, Apt 5, Austin, TX 78701\n" * 3000,
    "my_addr": "My address: 12 Oak Street, " * 5000,
    "caps_words": "1 " + "Aa " * 50000 + " Street",
    "caps_st": "1 Aa St " * 20000,
    "calle": "Calle " + "Aa " * 40000,
    "de": "Aa" * 50000 + "straße 12",
    "dehy": "A-" * 50000 + "straße 12",
    "digits_st": "12 St 12 St " * 10000,
    "pc": "Address: 1 Elm St, " + "Aa " * 40000,
    "record": "Name: John Smith\nAddress: 12 Elm St\n" * 3000,
    "via": " via 1 via 2 Via Roma 3 " * 5000,
    "nl": "Kerkstraat 12, 1017 GC " * 5000,
    "names": "John Smith Jane Doe " * 6000 + ", 12 Elm St",
    "cities": "Ship to: 1 Elm St, " + "Austin Austin Austin, " * 5000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_100kb_adversarial_inputs_are_fast(name):
    text = ADVERSARIAL[name][:100_000]
    t = time.process_time()
    address.detect_postal_address(text)
    assert time.process_time() - t < 0.5, name
