"""Officers extend the vocabulary from a file; new terms apply after the re-index."""

from __future__ import annotations

import json

from jobs.runtime import runtime


def test_taxonomy_import_adds_terms_that_tag_after_reindex(app, tmp_path):
    concept = {
        "id": "part_family.test_flux_capacitor_bracket",
        "kind": "part_family",
        "name_vi": "Giá đỡ tụ thông lượng",
        "name_en": "Flux capacitor bracket",
        "sector": "sector.mechanical",
        "terms": ["giá đỡ tụ thông lượng", "flux capacitor bracket", "FCB-88"],
    }
    path = tmp_path / "extra.json"
    path.write_text(json.dumps([concept], ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["taxonomy", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert '"created": 1' in result.output
    with app.app_context():
        tagger = runtime().engine.tagger
        assert concept["id"] in tagger.concept_ids("We need FCB-88 flux capacitor brackets")
        assert concept["id"] in tagger.concept_ids("cần giá đỡ tụ thông lượng")


def test_bad_vocabulary_files_are_refused_with_reasons(app, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [
                {"id": "widget.x", "kind": "widget"},
                {
                    "id": "process.y",
                    "kind": "process",
                    "name_vi": "Y",
                    "name_en": "Y",
                    "sector": "sector.nope",
                },
            ]
        )
    )
    result = app.test_cli_runner().invoke(args=["taxonomy", "import", str(path), "--no-reindex"])
    assert result.exit_code != 0
    assert "#1 widget.x" in result.output and "unknown sector" in result.output
    path.write_text("{not json")
    result = app.test_cli_runner().invoke(args=["taxonomy", "import", str(path)])
    assert result.exit_code != 0 and "not valid JSON" in result.output


def test_part_family_facet_in_directory(client):
    page = client.get("/suppliers/").get_data(as_text=True)
    assert 'name="part"' in page
    import re

    option = re.search(r'<option value="(part_family\.[a-z0-9_]+)"', page)
    assert option, "no part family found in the demo catalog"
    filtered = client.get(f"/suppliers/?part={option.group(1)}").get_data(as_text=True)
    assert filtered.count('class="result"') >= 1
