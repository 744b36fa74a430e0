#!/usr/bin/python3
"""Generate unicode.json: the Python str semantics Django's validators use.

    /usr/bin/python3 password/testdata/gen_unicode.py > password/testdata/unicode.json
    /usr/bin/python3 password/testdata/gen_unicode.py --go   # prints pyDigitExtra

For every code point assigned in this Python's Unicode database (ranges in
"assigned"), unicode_test.go checks the package's pyIsDigit (str.isdigit),
pyIsWord (re \\w), pyIsSpace (str.isspace / strip), pyLower (str.lower) and
Final_Sigma handling against the sets below.
"""
import json
import re
import sys
import unicodedata

W = re.compile(r"\w")


def chars():
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if unicodedata.category(c) == "Cn":
            continue
        yield cp, c


def ranges(cps):
    out = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


if "--go" in sys.argv:
    rs = ["{0x%04x, 0x%04x, 1}," % (lo, hi)
          for lo, hi in ranges(cp for cp, c in chars() if c.isdigit() and not c.isdecimal())]
    for i in range(0, len(rs), 4):
        print(" ".join(rs[i:i + 4]))
    sys.exit()

assigned, digit, word, space, ignorable, cased = [], [], [], [], [], []
lower = {}
for cp, c in chars():
    assigned.append(cp)
    if c.isdigit():
        digit.append(cp)
    if W.match(c):
        word.append(cp)
    if c.isspace():
        space.append(cp)
    if c.lower() != c:
        lower["%x" % cp] = c.lower()
    # Final_Sigma context probes (see CPython handle_capital_sigma):
    # 'aΣ' + c keeps σ iff c is cased and not case-ignorable;
    # 'a' + c + 'Σ' gives ς iff c is case-ignorable or cased.
    after = ("a\u03a3" + c).lower()[1] == "\u03c3"
    before = ("a" + c + "\u03a3").lower()[-1] == "\u03c2"
    if before and not after:
        ignorable.append(cp)
    if after:
        cased.append(cp)

json.dump({
    "generator": "testdata/gen_unicode.py",
    "python": sys.version.split()[0],
    "unicode": unicodedata.unidata_version,
    "assigned": ranges(assigned),
    "isdigit": ranges(digit),
    "word": ranges(word),
    "isspace": ranges(space),
    "case_ignorable": ranges(ignorable),
    "cased_not_ignorable": ranges(cased),
    "lower": lower,
}, sys.stdout, separators=(",", ":"), ensure_ascii=False)
sys.stdout.write("\n")
