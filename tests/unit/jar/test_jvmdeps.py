"""project.clj → Maven coordinates → throw-away pom (no Maven run in these unit tests)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stormbridge.build.jvmdeps import (
    MavenDependency,
    extra_dependencies,
    parse_clojure,
    read_project_clj,
    render_pom,
    resolve_jvm_jars,
)
from stormbridge.errors import JarError

ROOT = Path(__file__).resolve().parents[3]

KAFKA_CLJ = r"""
;; a comment [with brackets (
(defproject kafka-topo "1.0.0"
  :description "uses \"quotes\" and ; semicolons"
  :jar-exclusions [#"log4j\.properties" #"org\.apache\.storm\.(?!flux)"]
  :profiles {:dev {:jvm-opts ~(str "-Xmx" 1 "g")}}
  #_ :ignored-key #_ [:ignored]
  :repositories [["confluent" "https://packages.confluent.io/maven/"]
                 ["private" {:url "https://repo.example/maven" :username :env}]]
  :dependencies [[org.apache.storm/storm-core "2.8.3" :scope "provided"]
                 [org.apache.storm/storm-client "2.8.3"]
                 ^:pinned [org.apache.storm/storm-kafka-client "2.8.3"
                           :exclusions [[org.slf4j/slf4j-log4j12] log4j]]
                 [org.apache.kafka/kafka-clients "3.9.1"]
                 [com.example/codec "0.1" :classifier "jdk17"]
                 [junit "4.13.2" :scope "test"]])
"""


def test_the_repo_project_clj_declares_nothing_beyond_storm() -> None:
    project = read_project_clj(ROOT / "project.clj")
    assert project.name == "wordcount"
    assert [d.coordinates for d in project.dependencies] == ["org.apache.storm:storm-core:2.8.3"]
    assert extra_dependencies(project) == []


def test_reading_a_realistic_project_clj(tmp_path: Path) -> None:
    (tmp_path / "project.clj").write_text(KAFKA_CLJ)
    project = read_project_clj(tmp_path / "project.clj")
    assert (project.name, project.version) == ("kafka-topo", "1.0.0")
    assert project.repositories == (
        ("confluent", "https://packages.confluent.io/maven/"),
        ("private", "https://repo.example/maven"),
    )
    assert extra_dependencies(project) == [
        MavenDependency(
            "org.apache.storm",
            "storm-kafka-client",
            "2.8.3",
            exclusions=(("org.slf4j", "slf4j-log4j12"), ("log4j", "log4j")),
        ),
        MavenDependency("org.apache.kafka", "kafka-clients", "3.9.1"),
        MavenDependency("com.example", "codec", "0.1", classifier="jdk17"),
    ]


def test_render_pom_puts_storm_client_first_as_provided(tmp_path: Path) -> None:
    (tmp_path / "project.clj").write_text(KAFKA_CLJ)
    project = read_project_clj(tmp_path / "project.clj")
    pom = render_pom(
        extra_dependencies(project), storm_version="2.8.3", repositories=project.repositories
    )
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.fromstring(pom)
    deps = root.findall("m:dependencies/m:dependency", ns)
    rows = [
        (d.findtext("m:artifactId", namespaces=ns), d.findtext("m:scope", namespaces=ns))
        for d in deps
    ]
    assert rows == [
        ("storm-client", "provided"),
        ("storm-kafka-client", "compile"),
        ("kafka-clients", "compile"),
        ("codec", "compile"),
    ]
    assert deps[3].findtext("m:classifier", namespaces=ns) == "jdk17"
    excluded = [
        e.findtext("m:artifactId", namespaces=ns) for e in deps[1].iter(f"{{{ns['m']}}}exclusion")
    ]
    assert excluded == ["slf4j-log4j12", "log4j"]
    urls = [
        r.findtext("m:url", namespaces=ns) for r in root.findall("m:repositories/m:repository", ns)
    ]
    assert urls == ["https://packages.confluent.io/maven/", "https://repo.example/maven"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(defproject x", "unclosed"),
        ('(defproject x "1"))', "unexpected"),
        ("(def x 1)", "no \\(defproject"),
        ('(defproject x "1" :dependencies [[a/b ~version]])', "does not evaluate"),
        ('(defproject x "1" :dependencies ~deps)', "does not evaluate"),
        ('(defproject x "1" :dependencies [[a/b]])', "expected \\[group/artifact"),
        ('(defproject x "1" :dependencies [[a/b "1" :scope]])', "pairs"),
        ('(defproject x "1" :dependencies)', "pairs"),
    ],
)
def test_project_clj_errors_point_at_the_problem(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "project.clj").write_text(text)
    with pytest.raises(JarError, match=message):
        read_project_clj(tmp_path / "project.clj")


def test_parse_clojure_data_forms() -> None:
    [form] = parse_clojure('{:a [1 -2 3.5 "s\\n" nil true] "k" #{x}}')
    assert form == {"a": [1, -2, 3.5, "s\n", None, True], "k": ["x"]}


def test_no_project_clj_or_nothing_extra_runs_no_maven(tmp_path: Path) -> None:
    assert resolve_jvm_jars(tmp_path, storm_version="2.8.3", mvn="no-such-mvn") == []
    (tmp_path / "project.clj").write_text((ROOT / "project.clj").read_text())
    assert resolve_jvm_jars(tmp_path, storm_version="2.8.3", mvn="no-such-mvn") == []


def test_missing_maven_is_explained(tmp_path: Path) -> None:
    (tmp_path / "project.clj").write_text(KAFKA_CLJ)
    with pytest.raises(JarError, match=r"storm-kafka-client:2.8.3.*not on PATH.*--extra-jar"):
        resolve_jvm_jars(tmp_path, storm_version="2.8.3", mvn="no-such-mvn")


def test_a_cached_resolution_is_reused_without_maven(tmp_path: Path) -> None:
    (tmp_path / "project.clj").write_text(KAFKA_CLJ)
    with pytest.raises(JarError):
        resolve_jvm_jars(tmp_path, storm_version="2.8.3", mvn="no-such-mvn")
    [pom] = list((tmp_path / "_build/jvm-deps").glob("*/pom.xml"))
    jar_a, jar_b = tmp_path / "a.jar", tmp_path / "b.jar"
    jar_a.write_bytes(b"")
    jar_b.write_bytes(b"")
    (pom.parent / "classpath.txt").write_text(f"{jar_b}:{jar_a}")
    assert resolve_jvm_jars(tmp_path, storm_version="2.8.3", mvn="no-such-mvn") == [jar_b, jar_a]
    jar_a.unlink()  # a stale cache is not trusted
    with pytest.raises(JarError, match="not on PATH"):
        resolve_jvm_jars(tmp_path, storm_version="2.8.3", mvn="no-such-mvn")
