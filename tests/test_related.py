"""`search related`: what the matches talk about, by G² on article counts, on a
small corpus of real French wire copy with a planted word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search import keyness
from search.api import Engine
from tests.conftest import CliRun

# A dozen dispatches on the pension reform, each naming Matignon (the planted
# word), and two dozen on other subjects, one of which also names it.
REFORM = [
    "Le gouvernement présente la réforme des retraites à Matignon devant les syndicats.",
    "À Matignon, la Première ministre défend le report de l’âge légal de départ.",
    "Les syndicats quittent Matignon sans accord sur la réforme des retraites.",
    "La réforme des retraites sera examinée à l’Assemblée, annonce Matignon.",
    "Matignon confirme l’usage du 49.3 pour faire adopter la réforme.",
    "Grève contre la réforme : Matignon appelle au dialogue avec les syndicats.",
    "Les régimes spéciaux disparaîtront avec la réforme, précise Matignon.",
    "Matignon reçoit la CFDT et FO pour discuter de la réforme des retraites.",
    "Manifestation record contre la réforme ; Matignon ne cède pas.",
    "Le Conseil constitutionnel valide l’essentiel de la réforme voulue par Matignon.",
    "Matignon publie le décret d’application de la réforme des retraites.",
    "Réforme des retraites : Matignon promet une concertation sur la pénibilité.",
]
OTHER = [
    "Le Tour de France s’élance de Bilbao sous un soleil de plomb.",
    "Orages violents attendus dans le Sud-Ouest, prévient Météo-France.",
    "Le festival d’Avignon dévoile sa programmation pour l’été.",
    "La Bourse de Paris termine la séance en légère hausse.",
    "Un nouveau musée consacré à la photographie ouvre ses portes à Lyon.",
    "Les vendanges commencent plus tôt que prévu en Champagne.",
    "Le Paris Saint-Germain s’impose face à Marseille au Parc des Princes.",
    "La sécheresse menace les récoltes de maïs dans le Centre.",
    "Un incendie ravage plusieurs hectares de forêt dans les Landes.",
    "Le prix du gazole recule pour la troisième semaine consécutive.",
    "La rentrée scolaire concerne douze millions d’élèves cette année.",
    "Les cinémas enregistrent une fréquentation en hausse au printemps.",
    "Un trail de montagne réunit mille coureurs dans les Pyrénées.",
    "La SNCF annonce de nouvelles lignes de trains de nuit.",
    "Le marché de l’immobilier ralentit dans les grandes villes.",
    "Un concert gratuit attire des milliers de spectateurs à Nantes.",
    "La pêche à la coquille Saint-Jacques reprend en baie de Saint-Brieuc.",
    "Les hôpitaux se préparent à une épidémie de grippe précoce.",
    "Le salon de l’agriculture ouvre ses portes porte de Versailles.",
    "Un nouveau parc éolien en mer entre en service au large de Saint-Nazaire.",
    "Les ventes de vélos électriques progressent fortement cette année.",
    "Le Louvre prolonge son exposition consacrée à la peinture flamande.",
    "La ministre des Sports inaugure une piscine olympique à Saint-Denis.",
    "Matignon annonce un plan de soutien aux agriculteurs touchés par la sécheresse.",
]


def write_wires(folder: Path) -> Path:
    """The dispatches above as one JSON Lines dump in *folder* (made); *folder*."""
    folder.mkdir()
    with (folder / "fil.jsonl").open("w", encoding="utf-8") as out:
        for n, text in enumerate(REFORM + OTHER):
            record = {"id": f"d{n}", "title": text[:40], "body": text, "date": "2023-03-01"}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder


@pytest.fixture
def wires(run: CliRun, tmp_path: Path) -> tuple[CliRun, Path]:
    folder = write_wires(tmp_path / "depeches")
    assert run("index", str(folder)).exit_code == 0
    return run, tmp_path / "default-index"


def related(run: CliRun, *args: str) -> dict:  # type: ignore[type-arg]
    result = run("related", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_planted_word_comes_first(wires: tuple[CliRun, Path]) -> None:
    run, _ = wires
    found = related(run, "réforme")
    assert found["matches"] == 11 and found["documents"] == 36
    first = found["words"][0]
    # In every match; outside, in the one dispatch without "réforme" and one other.
    assert (first["text"], first["inside"], first["outside"]) == ("Matignon", 11, 2)
    words = {w["text"].lower() for w in found["words"]}
    assert "retraites" in words and not {"réforme", "reforme"} & words  # not the query's own
    assert not words & {"la", "des", "les", "de", "le"}  # stop words
    assert all(w["g2"] >= keyness.SIGNIFICANT for w in found["words"])
    assert [w["g2"] for w in found["words"]] == sorted((w["g2"] for w in found["words"]),
                                                       reverse=True)  # fmt: skip
    assert all(e["inside"] >= 2 for e in found["expressions"])


def test_text_output_says_how_it_ranks(wires: tuple[CliRun, Path]) -> None:
    run, _ = wires
    result = run("related", "réforme", "--top", "3")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("11 of 36 articles match") and "G²" in lines[0]
    assert lines[1] == "Words" and lines[2].split()[0] == "Matignon"
    assert run("related", "Zanzibar").exit_code == 1


def test_sampling_keeps_single_word_counts_exact(
    wires: tuple[CliRun, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, index_dir = wires
    with Engine(index_dir) as engine:
        whole = engine.related("réforme")
    monkeypatch.setattr(keyness, "SAMPLE", 4)  # read 4 of the 11 matches
    with Engine(index_dir) as engine:
        sampled = engine.related("réforme")
    assert sampled.read == 4 and whole.read == sampled.matches == 11
    exact = {w.key: (w.inside, w.outside) for w in whole.words}
    assert sampled.words and all(exact.get(w.key, (w.inside, w.outside)) == (w.inside, w.outside)
                                 for w in sampled.words)  # fmt: skip
    assert sampled.words[0].text == "Matignon"


def test_g2_by_hand() -> None:
    # 2 of 2 matching articles hold the word, none of 5 others: Σ 2·O·ln(O/E)
    # over the table [[2, 0], [0, 5]], E11 = 2·2/7, E22 = 5·5/7.
    assert keyness.g2(2, 2, 0, 5) == pytest.approx(2 * (2 * 1.2528 + 5 * 0.33647), abs=1e-3)
    assert keyness.keyness(1, 10, 10, 10) is None  # under-represented
    assert keyness.keyness(1, 100, 1, 100) is None  # as frequent inside as outside
    assert keyness.keyness(50, 100, 10, 1000) == pytest.approx(keyness.g2(50, 100, 10, 1000))
