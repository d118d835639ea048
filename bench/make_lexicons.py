"""Write the two word lists the person rules read, from the shared OrangeSum corpus.

    python bench/make_lexicons.py      # ~2.5 min; writes index/data/{french_words,surnames}.txt

Run once; the files are committed (the product never reads the corpus). Both
are facts about French news, not about any gold article:

- ``french_words.txt``: folded words written in lowercase at least
  ``MIN_LOWERCASE`` times. A capitalised word that French writes in lowercase
  elsewhere (``Finances``, ``Selon``, ``Court``) starts a sentence or a
  heading; it is not a name.
- ``surnames.txt``: folded surnames of people the rules find with a first
  name (``Mariano Rajoy``, ``Bachar al-Assad`` → ``assad``) in at least
  ``MIN_ARTICLES`` articles, and that are a name nearly everywhere they are
  capitalised (``Washington`` is mostly the city: left out). A well-known
  surname alone (``Vous imaginez Sarkozy…``, ``le gouvernement Rajoy``) is then
  a person without a title or a first name in that article.
"""

from __future__ import annotations

import bisect
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import records
from index.analysis import fold
from index.countries import table
from index.extraction import _country_words
from index.persons import (
    ARTICLE_PREFIX,
    NOT_NAMES,
    PARTICLES,
    find_persons,
    first_names,
    french_words,
)

DATA = Path(__file__).resolve().parent.parent / "index" / "data"
MIN_LOWERCASE = 5
MIN_ARTICLES = 5
# Of those articles, the share that names one and the same person: ``Rajoy`` is Mariano
# Rajoy, ``Robinson`` is many people (and a station), so alone it names nobody in particular.
MIN_ONE_PERSON_SHARE = 0.6
MIN_PERSON_SHARE = 0.7  # of a surname's capitalised occurrences inside a person's mention
MAX_LOWERCASE_SHARE = 0.05  # ``Blanc`` is also ``blanc``
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_AFTER_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][^\W\d_]+ $")


def _texts() -> Iterator[str]:
    for n, record in enumerate(records()):
        if n % 10_000 == 0:
            print(f"{n:,} articles", file=sys.stderr)
        yield "\n".join(p for p in (record["title"], record["heading"], record["article"]) if p)


def main() -> None:
    # First the French words, which the person rules read.
    lowercase: Counter[str] = Counter()
    for text in _texts():
        lowercase.update(fold(w) for w in _WORD.findall(text) if w.islower())
    words = sorted(w for w, c in lowercase.items() if c >= MIN_LOWERCASE)
    (DATA / "french_words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    french_words.cache_clear()

    # Then the surnames of the people those rules find with a first name.
    capitalised: Counter[str] = Counter()
    in_person: Counter[str] = Counter()
    # A capitalised word right before another (``David`` Cameron) or right after one.
    first_like: Counter[str] = Counter()
    last_like: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    people: dict[str, Counter[str]] = {}  # surname -> articles naming each full name
    # Full names found right after another capitalised word: ``Aston Martin Valkyrie``
    # gives ``Martin Valkyrie``, a car, not a person.
    inside: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    _, gazetteer = table()
    places = {word for key in gazetteer for word in key}
    for text in _texts():
        persons = find_persons(text, not_names=_country_words(), surnames=frozenset())
        spans = sorted(span for person in persons for span in person.spans)
        starts = [start for start, _ in spans]
        named = {
            fold(p.name): ARTICLE_PREFIX.sub("", fold(" ".join(p.name.split()[1:])))
            for p in persons
            if len(p.name.split()) >= 2
        }
        for full_name, surname in named.items():
            people.setdefault(surname, Counter())[full_name] += 1
        for person in persons:
            if fold(person.name) not in named:
                continue
            surname = named[fold(person.name)]
            for start, _ in person.spans:
                mentions[surname] += 1
                head = text[max(0, start - 30) : start]
                if _AFTER_CAPITALISED.search(head):
                    inside[surname] += 1
        articles.update(set(named.values()))
        previous, previous_end = "", -2
        for match in _WORD.finditer(text):
            word = match.group(0)
            if not word[0].isupper():
                previous, previous_end = word, match.end()
                continue
            folded = fold(word)
            capitalised[folded] += 1
            k = bisect.bisect_right(starts, match.start()) - 1
            if k >= 0 and match.start() < spans[k][1]:
                in_person[folded] += 1
            if previous[:1].isupper() and text[previous_end : match.start()] == " ":
                first_like[fold(previous)] += 1
                last_like[folded] += 1
            previous, previous_end = word, match.end()

    names = first_names()
    surnames = []
    for surname, count in articles.items():
        parts = surname.split()
        last = parts[-1]
        if count < MIN_ARTICLES or len(last) < 3 or last in places or last in NOT_NAMES:
            continue
        if any(p in names and p not in PARTICLES for p in parts[:-1]):
            continue  # ``de george floyd``: a first name inside is a badly cut name
        if people[surname].most_common(1)[0][1] < MIN_ONE_PERSON_SHARE * count:
            continue
        if inside[surname] > 0.5 * mentions[surname]:
            continue
        if in_person[last] < MIN_PERSON_SHARE * capitalised[last]:
            continue
        if lowercase[last] > MAX_LOWERCASE_SHARE * capitalised[last]:
            continue
        if last in names and first_like[last] > 0.5 * last_like[last]:
            continue  # ``David``, ``Bernard``: mostly a first name
        surnames.append(surname)
    (DATA / "surnames.txt").write_text("\n".join(sorted(surnames)) + "\n", encoding="utf-8")
    print(f"{len(words):,} French words, {len(surnames):,} surnames written to {DATA}")


if __name__ == "__main__":
    main()
