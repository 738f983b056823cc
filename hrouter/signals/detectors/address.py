"""Personal postal addresses: a street address that belongs to a person (detector ``postal_address``).

A postal address of a person is personal data (GDPR Art. 4(1)) and a HIPAA Safe Harbor
identifier (45 CFR 164.514(b)(2)(i)(B): "all geographic subdivisions smaller than a state,
including street address, city, county, precinct, zip code"). A business or public address
is not: "Visit our store at 1234 Elm St", "the White House at 1600 Pennsylvania Avenue".

Rule: a street-address shape that carries a personal cue.

Shape (every shape holds a house number, so every match needs a digit):

``EN`` (USPS Publication 28 §232 street suffixes and Appendix C1 abbreviations; Royal Mail PAF)
    house number (1-5 digits, optional letter or ``-N``: ``221B``, ``12-14``), an optional
    directional (N/S/E/W, North, ...), one to four street-name words (capitalised, ordinals
    ``42nd``; lower case only after an address word) and a street type: Street/St, Avenue/Ave,
    Road/Rd, Boulevard/Blvd, Lane/Ln, Drive/Dr, Court/Ct, Place/Pl, Way, Terrace/Ter, Close,
    Crescent/Cres, Square/Sq, Parkway/Pkwy, Highway/Hwy, Circle/Cir, Trail/Trl, Grove, Gardens,
    Mews, Row, Walk; optional trailing directional (``Terry Ave N``).
``FR`` (La Poste, norme AFNOR NF Z10-011): number (``bis``/``ter``) before rue, avenue, av.,
    boulevard, bd, chemin, allée, impasse, place, quai, route, cours, passage, faubourg.
``DE`` (Deutsche Post): a street word ending -straße/-strasse/-str./-weg/-platz/-allee/
    -gasse/-ring/-damm/-ufer/-chaussee (also as separate words: ``Berliner Straße``), then the number.
``NL`` (PostNL): -straat/-laan/-weg/-plein/-gracht/-kade/-dijk/-singel/-steeg, then the number.
``ES`` (Correos): calle/c//avenida/avda/av./plaza/pza/paseo/camino/ronda/carrer + name, then the
    number (``nº 5``); ``IT`` (Poste Italiane): via/viale/piazza/piazzale/corso/largo/vicolo + name,
    number; ``PT`` (CTT): rua/avenida/av./travessa/largo/praça/alameda/estrada + name, number;
    ``PL`` (Poczta Polska): ul./ulica/al./aleja/pl./plac/os. + name, number (``12/4``).

Then, optionally: a unit (Apt/Apartment/Unit/Suite/Ste/Flat/Floor/#, ``Whg.``, ``piso``, ``4º
B``) and a locality with a postal code of the country's format: US ``City, ST 12345(-6789)``
(USPS ZIP/ZIP+4 after a state abbreviation, Publication 28 Appendix B), UK postcode (Royal
Mail: ``A9 9AA`` .. ``AA9A 9AA``), Canada ``A1A 1A1`` (Canada Post), five digits before the
city (DE, FR, ES, IT; ``D-10115``), NL ``1234 AB``, PL ``00-000``, PT ``1234-567``.

Personal cue (an address without one is public: a store, an office, a venue, a landmark):

- an address word before it, at most :data:`_CUE_REACH` characters back and one line break
  (a label on its own line): address, home/my/mailing/postal/billing/shipping address, ship
  to, deliver to, send to, lives/living/resides/residing at, I live at, moved to, patient/
  tenant/client/customer at; Adresse, Anschrift, wohnhaft, wohnt, wohne; adresse, domicile,
  demeurant, j'habite; dirección, domicilio, vivo en; indirizzo, residente in/a, abito in;
  adres, woonadres, woont, woonachtig; morada, endereço, moro na/em; adres zamieszkania,
  zamieszkały/a, mieszkam. A bare "address" word after a business word (our office/store/
  company/venue/museum/hotel/..., "visit", "located") is no cue;
- or a person: a record label naming the person ("Name: John Smith" / "Address: ..."; see
  :func:`contextual.record_person`), or a person-name cue on the same line right before the
  address with only separators or record fields between ("Maria Garcia, 1234 Elm St",
  a CSV row, "Customer: Jane Doe | 12 Oak St"; not "the White House at ..."), or a record's
  street key (``street``, ``street_address``, ``address1``, ``address_line1``, ``addr``,
  ``line1``, ``strasse``, ``rue``, ``calle``, ``via``, ...) holding the address in a record
  (``{...}``, 400 characters each way) with a person-name key whose value is a name
  (``"name": "Maria Garcia"``, ``"first_name"`` + ``"last_name"``; not a business's name).

A line break written as an escape (``\\n``, ``\\r\\n`` in a JSON string) separates the street
from its locality as a line break does (the span covers the city and postal code too).

Well-known public and fictional addresses (221B Baker Street, 10 Downing Street, 1600
Pennsylvania Avenue, 742 Evergreen Terrace, 4 Privet Drive, 1 Infinite Loop, ...;
:data:`_FAMOUS`) are public whatever the cue. A street address without a postal code or
locality counts only with a first-person or label cue or a person record (a third-person
"lives at 25 Oak Street" in a word problem is fiction); with them, any cue.

Masked as the kind and the parts present, never a number or a street name:
``[street address, unit, city, US ZIP]``. Verdict ``personal: <cue>``.

Cost: nothing runs unless a street-type needle occurs (the tagger's one Aho-Corasick pass);
the shape patterns run only in the windows around those needles; the cue checks only for a
shape found. Patterns are bounded (no nested unbounded repeats).
"""

from __future__ import annotations

import re
from bisect import bisect_right

# imported when the detector first runs, after the sensitivity module
from hrouter.signals.detectors.contextual import LazyPatterns, person_names, record_person
from hrouter.signals.sensitivity import _any_needle, _lower_windows, _scan

_I = re.IGNORECASE

#: How far before an address its cue word may end (characters).
_CUE_REACH = 100
#: At most this many address shapes of a prompt are parsed and checked for a cue, and at most
#: this many get the (costlier) person check; past it, every further shape counts without
#: checks (fail closed: a prompt holding that many street addresses is an address list).
_MAX_CHECKS = 256

# ---- shapes

_NAME_ANY = r"(?:[^\W\d_][\w'’\-]*(?<![.])|[^\W\d_]{1,3}\.|\d{1,3}(?:st|nd|rd|th))"
_EN_TYPES = (r"Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|"
             r"Ter|Close|Crescent|Cres|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Grove|Gardens|"
             r"Mews|Row|Walk")
_HOUSE = r"(?<![\w$€£.:/\-])(?<!\d,)(?P<num>\d{1,5}[A-Za-z]?(?:-\d{1,5}[A-Za-z]?)?)"
_EN = (_HOUSE + r",?[ \t]+(?:(?:[NSEW]\.?|North|South|East|West)[ \t]+)?"
       r"(?P<name>" + _NAME_ANY + r"(?:[ \t]+" + _NAME_ANY + r"){0,3}?)[ \t]+"
       r"(?P<type>(?i:" + _EN_TYPES + r"))(?:\.(?![\w]))?(?![\w'’\-])"
       r"(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)(?![\w]))?")
_FR = (r"(?<![\w$€£.:/\-])(?<!\d,)(?P<num>\d{1,4}(?:[ \t]?(?:bis|ter|[A-D]))?),?[ \t]+"
       r"(?P<type>(?i:rue|avenue|av\.|boulevard|bd|bld|chemin|all[ée]e|impasse|place|pl\.|quai|route|rte|cours|"
       r"passage|faubourg|fbg))[ \t]+(?P<name>(?:(?i:de|du|des|la|le|les|d['’]|l['’])[ \t]*){0,2}"
       r"[A-ZÀ-ÖØ-Þ][\w'’\-]*(?:[ \t]+(?:(?:de|du|des|la|le|les|d['’]|l['’])[ \t]*)?[A-ZÀ-ÖØ-Þ][\w'’\-]*){0,3})")
_NUM_AFTER = r"(?P<num>\d{1,4}[a-zA-Z]?(?:[ \t]?[-/][ \t]?\d{1,4}[a-zA-Z]?)?)(?![\w]|[.,]\d)"
_DE_SUFFIX = r"(?i:stra(?:ß|ss)e|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|straat|laan|plein|gracht|kade|dijk|singel|steeg)"
_DE = (r"(?<![\w\-])(?P<name>(?:[A-ZÀ-ÖØ-Þ][\w'’\-]*[ \t]){0,3}[A-ZÀ-ÖØ-Þ][\w\-]*?" + _DE_SUFFIX + r"|"
       r"(?:[A-ZÀ-ÖØ-Þ][\w'’\-]*[ \t]){1,3}(?:Stra(?:ß|ss)e|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm))"
       r"[ \t]*,?[ \t]+(?:(?i:nr\.?)[ \t]*)?" + _NUM_AFTER)
_PRE_TYPES = (r"calle|c/|avenida|avda\.?|av\.|plaza|pza\.?|paseo|camino|ronda|carrer|via|viale|piazza|piazzale|corso|"
              r"largo|vicolo|rua|travessa|pra[çc]a|alameda|estrada|ul\.|ulica|al\.|aleja|pl\.|plac|os\.|osiedle")
_PRE = (r"(?<![\w\-])(?P<type>(?i:" + _PRE_TYPES + r"))[ \t]*(?P<name>(?:(?i:de|del|la|las|los|el|da|do|das|dos|"
        r"della|dei|degli|di|d['’])[ \t]*){0,2}[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’][\w'’\-.]*(?:[ \t]+(?:(?i:de|del|la|las|los|el|da|do|das|"
        r"dos|della|dei|degli|di|d['’]|y|e)[ \t]*)?[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’][\w'’\-.]*){0,3}),?[ \t]*"
        r"(?:(?i:n[ºo°]\.?|n\.[ºo°]|n[úu]m\.?|nr\.?)[ \t]*)?" + _NUM_AFTER)

_UNIT = (r"[ \t]*,?[ \t]*(?:(?i:apt|apartment|unit|suite|ste|flat|floor|fl|room|rm|bldg|building|whg|wohnung|"
         r"piso|planta|puerta|esc|interno|int|scala|bus|top|app|appartement|bte|bo[îi]te|lok|m)\.?[ \t]*#?[ \t]*"
         r"[\w\-]{1,6}|#[ \t]?[\w\-]{1,6}|\d{1,2}[ºª°][ \t]?[A-Za-z]?(?![\w]))")
_CITY = r"[A-ZÀ-ÖØ-Þ][\w'’\-.]*(?:[ \t]+(?:[A-ZÀ-ÖØ-Þ][\w'’\-.]*|de|del|la|le|sur|am|an|der|im|upon|on)){0,3}"
#: A line break, or one written as a JSON/string escape (``"12 Oak Street\\nSpringfield, IL"``).
_NL = r"(?:\r?\n|(?:\\r)?\\n)"
_SEP = r"[ \t]*(?:[,;|][ \t]*(?:" + _NL + r"[ \t]*)?|" + _NL + r"[ \t]*|[ \t]+[\-–][ \t]+|[ \t])"
_UK_PC = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}(?![\w])"
_CA_PC = r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ \t]?\d[ABCEGHJ-NPRSTV-Z]\d(?![\w])"
_PLACE = (
    # US: City, ST 12345(-6789)  /  City ST 12345
    r"(?P<us>" + _CITY + r",?[ \t]+[A-Z]{2}\.?,?[ \t]+\d{5}(?:-\d{4})?(?![\w\-]))"
    # CA: City, ON A1A 1A1
    r"|(?P<ca>" + _CITY + r",?[ \t]+(?:[A-Z]{2},?[ \t]+)?" + _CA_PC + r")"
    # UK: (City,) postcode
    r"|(?P<uk>(?:" + _CITY + r",?[ \t]+)?" + _UK_PC + r")"
    # postcode before the city: NL 1234 AB, PL 00-000, PT 1234-567, DE/FR/ES/IT 12345
    r"|(?P<nl>\d{4}[ \t]?[A-Z]{2}[ \t]+" + _CITY + r")"
    r"|(?P<pl>\d{2}-\d{3}[ \t]+" + _CITY + r")"
    r"|(?P<pt>\d{4}-\d{3}[ \t]+" + _CITY + r")"
    r"|(?P<eu>(?:[A-Z]{1,2}-)?\d{5}[ \t]+" + _CITY + r"(?:[ \t]+(?:\([A-Z]{2}\)|[A-Z]{2}(?![\w])|(?i:cedex)(?:[ \t]\d{1,2})?))?)"
    # US without ZIP: City, ST (a state abbreviation, checked)
    r"|(?P<us_city>" + _CITY + r",[ \t]+(?P<st>[A-Z]{2})(?![\w]))"
)
_PC_KIND = {"us": "US ZIP", "ca": "CA postal code", "uk": "UK postcode", "nl": "NL postcode", "pl": "PL postcode",
            "pt": "PT postcode", "eu": "postal code", "us_city": None}
_US_STATES = frozenset("""AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM
NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP""".split())

# ---- cues (searched on the lower-case text before an address)

_CUE = (
    r"(?<![\w])(?:"
    r"(?P<strong>(?:home|my|mailing|postal|billing|shipping|delivery|residential|current|permanent|new|old|previous|"
    r"forwarding|private|personal|his|her|their|your|patient['’]?s?|customer['’]?s?|client['’]?s?|employee['’]?s?|"
    r"tenant['’]?s?|recipient['’]?s?|member['’]?s?|applicant['’]?s?|student['’]?s?|street)[ \t_\-]*(?:address|addr)|"
    r"ship(?:ping)?[ \t]+to|deliver(?:y)?[ \t]+to|send[ \t]+(?:it[ \t]+|them[ \t]+|this[ \t]+|the[ \t]+\w+[ \t]+)?to|"
    r"mail[ \t]+(?:it[ \t]+|them[ \t]+)?to|i[ \t]+(?:live|lived|reside|stay)[ \t]+(?:at|on)|we[ \t]+(?:live|reside)[ \t]+(?:at|on)|"
    r"i['’]m[ \t]+at|i[ \t]+moved[ \t]+to|we[ \t]+moved[ \t]+to|my[ \t]+(?:home|house|apartment|flat|place)[ \t]+(?:is[ \t]+)?(?:at|on)|"
    r"(?:patient|tenant|client|customer|resident|occupant|homeowner|employee|applicant|member|subscriber|debtor|"
    r"defendant|victim|suspect|student)[ \t]+(?:at|of|living[ \t]+at|residing[ \t]+at|lives[ \t]+at)|"
    r"(?:liefer|rechnungs|post|wohn|melde|privat|heim)?adresse|(?:post|wohn)?anschrift|wohnhaft|wohnort|wohnt[ \t]+in|wohne[ \t]+in|domicile|domicili[ée]e?|demeurant|j['’]habite|"
    r"direcci[óo]n|domicilio|vivo[ \t]+en|indirizzo|residente[ \t]+(?:in|a|en|na|em)|abito[ \t]+(?:in|a)|"
    r"woonadres|woon[ \t]+(?:op|in|aan)|woont[ \t]+(?:op|in|aan)|woonachtig|adres|morada|endere[çc]o|"
    r"moro[ \t]+(?:na|no|em)|zamieszka\w*|mieszkam|(?:addr|recipient|deliver(?:y)?|ship(?:ping)?)[ \t]*:)"
    r"|(?P<weak>address(?:es)?|li(?:ves|ved|ving|ve)[ \t]+(?:at|on)|resid(?:es|ed|ing|e)[ \t]+(?:at|on)|"
    r"moved[ \t]+to|moving[ \t]+to|staying[ \t]+at|wohnt|habite|vive[ \t]+en|reside[ \t]+en|"
    r"abita[ \t]+(?:in|a)|woont|mora[ \t]+(?:na|no|em)|mieszka))(?![^\W_])"
)
#: Words that make an address a business's or a public place's (vetoes a weak cue and a name).
_BUSINESS = (r"(?<![\w])(?:our|we|us|visit|visiting|store|shop|office|offices|headquarters|hq|company|business|venue|museum|"
             r"hotel|restaurant|caf[ée]|bar|pub|embassy|consulate|library|school|university|college|church|station|"
             r"airport|stadium|theat(?:er|re)|gallery|hospital|conference|event|branch|showroom|warehouse|factory|"
             r"inc|ltd|llc|gmbh|corp|located|opened|opening|headquartered|firm|bank|mall|center|centre|park|"
             r"landmark|building|house|palace|tower|detective|sherlock|holmes|fictional|novel|story|character|"
             r"sitcom|episode|movie|film|book|example|sample|fake|dummy|placeholder|fictitious|made-up|"
             # the same in DE, FR, ES, IT, NL, PT, PL
             r"unser[emn]?|filiale|gesch[äa]ft|laden|b[üu]ro|firma|besuchen|[öo]ffnungszeiten|ge[öo]ffnet|"
             r"notre|nos|magasin|boutique|bureaux?|si[èe]ge|soci[ée]t[ée]|"
             r"nuestr[oa]s?|tienda|oficinas?|sede|empresa|nostr[oa]|negozio|ufficio|azienda|"
             r"onze|ons|winkel|kantoor|bedrijf|noss[oa]s?|loja|escrit[óo]rio|nasz[aey]?|sklep|biuro|siedziba)(?![\w])")
#: A gap between a person name and the address holding prose (not only record fields).
_PROSE_GAP = r"(?<![\w])(?:at|on|in|near|to|from|by|visit\w*|the|of|and|was|is|were|are|has|had|went|met|walked|drove)(?![\w])"

#: A record's street key right before the address value (``"street": "``, ``address1: ``), and
#: a person-name key with its value in the same record (``"name": "Maria Garcia"``).
_STREET_KEYS = frozenset(("street", "streetaddress", "address", "address1", "addressline1", "addressline",
                          "addr", "addr1", "line1", "street1", "strasse", "straße", "rue", "calle", "via",
                          "homeaddress", "mailingaddress", "shippingaddress", "billingaddress"))
_NAME_KEY = (r"[\"']?(?:(?:full|customer|client|patient|person|contact|recipient|member|employee|tenant|user|"
             r"display|legal|first|given|last|family|sur)[ _\-]?name|name|surname|nombre|nom|vorname|nachname)[\"']?"
             r"[ \t]*[:=][ \t]*[\"']?(?P<val>[^\"'\n,{}]{2,60})")
#: Well-known public and fictional addresses: (house number, street name lower-case, no type).
_FAMOUS = frozenset({
    ("221b", "baker"), ("10", "downing"), ("11", "downing"), ("1600", "pennsylvania"), ("742", "evergreen"),
    ("4", "privet"), ("12", "grimmauld"), ("1313", "mockingbird"), ("124", "conch"), ("31", "spooner"),
    ("1640", "riverside"), ("177a", "bleecker"), ("0001", "cemetery"), ("2311", "north los robles"),
    ("2311", "los robles"), ("90", "bedford"), ("1", "infinite"), ("1", "apple park"), ("1600", "amphitheatre"),
    ("350", "fifth"), ("350", "5th"), ("11", "wall"), ("1", "microsoft"), ("410", "terry"), ("1", "hacker"),
    ("3500", "deer creek"), ("1", "hacker"), ("405", "lexington"), ("30", "rockefeller"), ("20", "w 34th"),
    ("1", "world trade center"), ("3", "abbey"), ("129", "west 81st"), ("112", "ocean"), ("698", "candlewood"),
    ("1630", "revello"), ("1407", "graymalkin"), ("342", "gravelpit"), ("165", "eaton"), ("24", "sussex"),
    ("1", "apple"), ("500", "oracle"), ("51", "franklin"), ("59", "temple"), ("675", "mass"), ("1", "dell"), ("2300", "traverwood"),
})
#: Street-name words that are no name (an ordinary noun phrase before "road"/"way"/"street").
_NOT_STREET = frozenset("""
the a an of on in at to down up along across from and or this that my your his her our their its it is was
miles mile km blocks block houses house cars car people times steps feet meters metres minutes hours days
years way ways more less other same next last first second third long short main's new old
""".split())

#: Street types that may be written in lower case ("12 oak street"); the others are common words.
_LOWER_TYPES = frozenset(("street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive"))

#: Lower-case needles of each shape family: every street type (a word after a blank, or a
#: suffix followed by a blank and a digit), and how far (before, after) the family's match
#: may reach around its needle.
_EN_NEEDLES = tuple(f" {w}{c}" for w in ("st", "ave", "av", "rd", "blvd", "ln", "dr", "ct", "pl", "ter", "cres", "sq",
                                         "pkwy", "hwy", "cir", "trl")
                    for c in (" ", ".", ",", "\n", ";", ")", "\t", "\"", "'", "|", "\r")) + tuple(
    " " + w for w in ("street", "avenue", "road", "boulevard", "lane", "drive", "court", "place", "way", "terrace",
                      "close", "crescent", "square", "parkway", "highway", "circle", "trail", "grove", "gardens",
                      "mews", "row", "walk"))
_FR_NEEDLES = tuple(" " + w for w in ("rue ", "av. ", "avenue ", "bd ", "bld ", "boulevard ", "chemin ", "allée ",
                                      "allee ", "impasse ", "quai ", "route ", "rte ", "cours ", "passage ",
                                      "faubourg ", "fbg ", "place ", "pl. "))
_DE_NEEDLES = ("straße", "strasse", "str.", "platz", "allee", "gasse", "chaussee", "straat", "gracht", "plein",
               "singel", "steeg") + tuple(f"{w}{sep}{d}" for w in ("weg", "ring", "damm", "ufer", "laan", "kade", "dijk")
                                          for sep in (" ", ", ") for d in "123456789")
_PRE_NEEDLES = tuple(c + w for c in (" ", "\n", "\t", "(", "\"", ":") for w in (
    "calle ", "c/", "avenida ", "avda", "av.", "plaza ", "pza", "paseo ", "camino ", "ronda ", "carrer ", "via ",
    "viale ", "piazza ", "piazzale ", "corso ", "largo ", "vicolo ", "rua ", "travessa ", "praça ", "praca ",
    "alameda ", "estrada ", "ul.", "ulica ", "al.", "aleja ", "pl.", "plac ", "os.", "osiedle "))
#: Lower-case substrings of the cue words (an address with none of them before it has no cue).
_CUE_NEEDLES = ("addr", "adres", "ship", "deliver", "send", "mail", "live", "reside", "residi", "residen", "stay",
                "i'm at", "i’m at", "moved", "moving", "my home", "my house", "my apartment", "my flat", "my place",
                "patient", "tenant", "client", "customer", "resident", "occupant", "homeowner", "employee",
                "applicant", "member", "subscriber", "debtor", "defendant", "victim", "suspect", "student",
                "recipient", "anschrift", "wohn", "domicil", "demeurant", "habite", "direcci", "vivo en", "vive en",
                "indirizzo", "abito", "abita", "woon", "morada", "endere", "moro n", "moro em", "mora n", "mora em",
                "mieszka")
_ALL_NEEDLES = _EN_NEEDLES + _FR_NEEDLES + _DE_NEEDLES + _PRE_NEEDLES
_FAMILIES = (("en", _EN_NEEDLES, 64, 8), ("fr", _FR_NEEDLES, 16, 64), ("de", _DE_NEEDLES, 48, 16),
             ("pre", _PRE_NEEDLES, 0, 72))


class _AddrRx(LazyPatterns):
    _src = {
        "en": (_EN, 0), "fr": (_FR, 0), "de": (_DE, 0), "pre": (_PRE, 0),
        "unit": (_UNIT, 0), "sep": (_SEP, 0), "place": (_PLACE, 0),
        "cue": (_CUE, 0), "business": (_BUSINESS, 0), "prose_gap": (_PROSE_GAP, 0),
        "word": (r"[^\W_][\w'’\-]*", 0),
        "digit": (r"[0-9]", 0),
        "not_ring": (r"(?:[eauoipb]|st)ring\Z", _I),
        "field_sep": (r"[\s,;|\"'()\[\]{}]+", 0),
        "tail_type": (r"[ \t](?i:st|ave|av|rd|blvd|ln|dr|ct|pl|ter|cres|sq|pkwy|hwy|cir|trl)\.?[ \t]*\Z", 0),
        "label": (r"[\"'\]>_\w]{0,12}[ \t]*(?:[:=\n]|is(?![\w])|-[ \t])", 0),
        "key_before": (r"[\"']?(?P<key>[A-Za-zß_ \-]{2,24}?\d?)[\"']?[ \t]*[:=][ \t]*[\"']?\Z", 0),
        "name_key": (_NAME_KEY, _I),
    }


_R = _AddrRx()


def _place(text: str, pos: int) -> tuple[int, str | None, bool]:
    """The locality after position ``pos``: (end, postal-code kind or None, city seen)."""
    sep = _R.sep.match(text, pos)
    if sep is None:
        return pos, None, False
    m = _R.place.match(text, sep.end())
    if m is None:
        return pos, None, False
    kind = m.lastgroup
    if kind == "us_city":
        if m.group("st") not in _US_STATES:
            return pos, None, False
        return m.end(), None, True
    if kind == "us":
        st = text[m.start():m.end()].rstrip("0123456789- \t").rstrip(",. \t")[-2:]
        if st not in _US_STATES:
            return pos, None, False
    return m.end(), _PC_KIND[kind], True


def _shapes(text: str) -> list[tuple[int, int, str, str, bool, bool]]:
    """(start, end, house number, street name, names capitalised, with locality/postcode, mask)."""
    found = []
    digit = _R.digit.search
    n = len(text)
    for key, needles, before, after in _FAMILIES:
        windows = _lower_windows(text, needles, before, after) if _any_needle(text, needles) else []
        if key == "en" and _R.tail_type.search(text, max(0, n - 8)):  # "... 1234 Elm St" ends the text
            windows = [w for w in windows if w[1] < n - 72] + [(max(0, n - 72), n)]
        windows = [w for w in windows if digit(text, *w)]  # every shape holds a house number
        if windows:
            for m in _scan(getattr(_R, key), text, windows):
                found.append((m.start(), m.end(), key, m))
    out = []
    seen_end = -1
    found.sort(key=lambda t: (t[0], -t[1]))
    for s, e, key, m in found:
        if s < seen_end:
            continue
        name = m.group("name")
        words = name.replace(".", " ").split()
        if key == "en":
            low = [w for w in words if not (w[0].isupper() or w[0].isdigit())]
            if any(w.lower() in _NOT_STREET for w in words) or (low and len(words) > 2):
                continue
            typ = m.group("type")
            caps = not low and not typ[0].islower()
            if typ[0].islower() and typ.lower() not in _LOWER_TYPES:
                continue  # "a 3 piece place setting", "50 acres close to": common words, not street types
        else:
            caps = True
            if key == "de" and _R.not_ring.search(name):
                continue  # "Engineering, 152", "During 2020", "String 1": English words, not a -ring street
        if len(out) >= _MAX_CHECKS:  # past the budget: the bare shape, unchecked (fail closed)
            out.append((s, e, "", "", True, False, None))
            seen_end = e
            continue
        pos = e
        unit = _R.unit.match(text, pos)
        has_unit = unit is not None and any(c.isdigit() for c in unit.group()) or (
            unit is not None and unit.group().strip(" \t,").startswith("#"))
        if has_unit:
            pos = unit.end()
        end, pc, city = _place(text, pos)
        parts = ["street address"]
        if has_unit:
            parts.append("unit")
        if city:
            parts.append("city")
        if pc:
            parts.append(pc)
        num = m.group("num").lower().replace(" ", "")
        out.append((s, end if city or pc else pos, num, " ".join(words).lower(), caps, bool(city or pc),
                    "[" + ", ".join(parts) + "]"))
        seen_end = end
    return out


def _famous(num: str, name: str) -> bool:
    if (num, name) in _FAMOUS:
        return True
    words = name.split()
    return any((num, " ".join(words[:k])) in _FAMOUS for k in range(1, len(words)))


def _cue(text: str, s: int) -> tuple[str, str] | None:
    """The personal cue before an address at ``s``: ("strong"|"weak", the words), or None."""
    lo = max(0, s - _CUE_REACH)
    nl = text.rfind("\n", lo, s)
    if nl != -1:
        nl2 = text.rfind("\n", lo, nl)
        if nl2 != -1:
            lo = nl2 + 1
    before = text[lo:s].lower()
    last = None
    for m in _R.cue.finditer(before):
        last = m
    if last is None:
        return None
    kind = last.lastgroup
    if kind == "weak" and last.group().startswith("address") and _R.label.match(before, last.end()):
        kind = "strong"  # a label: "Address: ...", "address = ...", "\"address\": \"...\"", "address is ..."
    if kind == "weak" or last.group().startswith(("address", "ship", "deliver", "recipient", "addr")):
        # an address word after a business word is the business's (not "my/home address")
        ctx = before[max(0, last.start() - 60):last.start()]
        nl = ctx.rfind("\n")
        if nl != -1:
            ctx = ctx[nl + 1:]
        if _R.business.search(ctx) or _R.business.search(before, last.end()):
            return None
    return kind, last.group()


def _record_key_person(text: str, s: int, e: int) -> bool:
    """Whether the address at ``text[s:e]`` is the value of a street key (``"street": "1234 Elm
    St"``) in a record (``{...}``, up to 400 characters each way) that also holds a person-name
    key whose value is a name (``"name": "Maria Garcia"``): a JSON customer record."""
    k = _R.key_before.search(text, max(0, s - 32), s)
    if k is None or k.group("key").lower().replace("_", "").replace("-", "").replace(" ", "") not in _STREET_KEYS:
        return False
    lo = text.rfind("{", max(0, s - 400), s)
    hi = text.find("}", e, e + 400)
    if lo == -1:
        lo = max(0, s - 400)
    if hi == -1:
        hi = min(len(text), e + 400)
    vals = [m.group("val").strip() for m in _R.name_key.finditer(text, lo, hi)][:8]
    if len(vals) >= 2:
        vals.append(" ".join(vals[:2]))  # "first_name": "John", "last_name": "Smith"
    for val in vals:
        names = person_names(val) if val else []
        if names and names[0].start() == 0 and names[0].end() == len(val) and not _R.business.search(val.lower()):
            return True
    return False


def _person(text: str, s: int, e: int) -> str | None:
    """A person the address belongs to: a record's label line or a name right before it on its line."""
    if _R.key_before.search(text, max(0, s - 32), s) is not None and _record_key_person(text, s, e):
        return "record"
    try:
        if record_person(text, s, e) is not None:
            return "record"
    except Exception:  # noqa: BLE001 - a helper's failure is no finding; the other cues still hold
        pass
    ls = max(text.rfind("\n", 0, s) + 1, s - 120)
    if ls > 1 and not text[ls:s].strip(" \t\"'"):  # an address block: the name alone on the line before
        ps = max(text.rfind("\n", 0, ls - 1) + 1, ls - 80)
        line = text[ps:ls - 1].strip(" \t\r,")
        got = person_names(line) if line else []
        if got and got[0].start() == 0 and got[0].end() == len(line):
            return "person name"
    names = person_names(text, ls, s)
    if not names:
        return None
    nm = names[-1]
    gap = text[nm.end():s]
    if _R.prose_gap.search(gap) or _R.business.search(text[ls:s].lower()):
        return None
    for tok in _R.field_sep.split(gap):  # record fields only (an email, a phone), no prose word
        if tok and tok[0].islower() and "@" not in tok and not any(c.isdigit() for c in tok):
            return None
    return "person name"


def detect_postal_address(text: str) -> list[tuple[int, int, str, str, str]]:
    """Personal postal addresses; see the module docstring."""
    if not _any_needle(text, _ALL_NEEDLES) and not _R.tail_type.search(text, max(0, len(text) - 8)):
        return []
    hits: list[tuple[int, int, str, str, str]] = []
    shapes = _shapes(text)
    if not shapes:
        return hits
    cue_wins = _lower_windows(text, _CUE_NEEDLES, 0, _CUE_REACH + 80) if _any_needle(text, _CUE_NEEDLES) else []
    cue_starts = [w[0] for w in cue_wins]
    checks = 0
    for s, e, num, name, caps, full, mask in shapes:
        if mask is None or checks >= _MAX_CHECKS:  # an address list past the budget: unchecked (fail closed)
            hits.append((s, e, "[street address]", f"personal: unchecked (over {_MAX_CHECKS} addresses)",
                         "address list"))
            continue
        if _famous(num, name):
            continue
        k = bisect_right(cue_starts, s) - 1
        cue = _cue(text, s) if k >= 0 and cue_wins[k][1] >= s else None
        if cue is None or (cue[0] == "weak" and not full):
            checks += 1
            who = _person(text, s, e)
            if who is None:
                continue
            if not caps and cue is None:
                continue  # "12 oak street" after a name only, no address word: too weak
            context = who
        else:
            context = cue[1]
        hits.append((s, e, mask, f"personal: {context}", context))
    return hits
