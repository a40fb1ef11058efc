"""Finding the line that sets each key, for every way configs are commonly written."""

from __future__ import annotations

import textwrap

from marid.config.keylines import find_config_aliases, find_key_lines, scan_config


def lines_of(source: str) -> dict[str, int]:
    return find_key_lines(textwrap.dedent(source).lstrip("\n"))


def test_subscript_assignment_on_the_usual_alias() -> None:
    assert lines_of(
        """
        c = BuildmasterConfig = {}
        c['title'] = 'x'
        c["workers"] = []
        """
    ) == {"title": 2, "workers": 3}


def test_alias_bound_after_the_fact() -> None:
    source = """
        config = {}
        config['title'] = 'x'
        BuildmasterConfig = config
        """
    assert lines_of(source) == {"title": 2}
    assert scan_config(textwrap.dedent(source).lstrip("\n")).config_line == 3


def test_appends_extends_and_augmented_assignments_count_as_setting() -> None:
    assert lines_of(
        """
        c = BuildmasterConfig = {}
        c['builders'].append(1)
        c['schedulers'].extend([])
        c['services'] += []
        c['www']['port'] = 8010
        """
    ) == {"builders": 2, "schedulers": 3, "services": 4, "www": 5}


def test_a_plain_assignment_wins_over_mutations() -> None:
    assert lines_of(
        """
        c = BuildmasterConfig = {}
        c['workers'].append(1)
        c['workers'] = []
        c['workers'].append(2)
        """
    ) == {"workers": 3}


def test_the_last_assignment_wins() -> None:
    assert lines_of(
        """
        c = BuildmasterConfig = {}
        c['title'] = 'a'
        c['title'] = 'b'
        """
    ) == {"title": 3}


def test_update_and_setdefault() -> None:
    assert lines_of(
        """
        c = BuildmasterConfig = {}
        c.update(
            title='x',
            titleURL='y',
        )
        c.update({'db_url': 'z'})
        c.setdefault('mq', {})
        """
    ) == {"title": 3, "titleURL": 4, "db_url": 6, "mq": 7}


def test_dict_literal_and_dict_call_bound_to_buildmaster_config() -> None:
    assert lines_of(
        """
        BuildmasterConfig = {
            'title': 'x',
            'workers': [],
        }
        """
    ) == {"title": 2, "workers": 3}
    assert lines_of("BuildmasterConfig = dict(\n    title='x',\n)\n") == {"title": 2}


def test_keys_set_inside_blocks_and_functions_are_found() -> None:
    assert lines_of(
        """
        c = BuildmasterConfig = {}
        if True:
            c['title'] = 'x'
        def more():
            c['workers'] = []
        """
    ) == {"title": 3, "workers": 5}


def test_other_dicts_are_ignored() -> None:
    assert (
        lines_of(
            """
        c = BuildmasterConfig = {}
        other = {}
        other['title'] = 'x'
        settings = {'workers': []}
        """
        )
        == {}
    )


def test_aliases_follow_chains_of_names() -> None:
    tree = __import__("ast").parse("a = {}\nb = a\nBuildmasterConfig = b\n")

    assert find_config_aliases(tree) == {"a", "b", "BuildmasterConfig"}
