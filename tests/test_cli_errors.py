"""Every bad input is one line, exit status 2, no traceback, no usage dump.

A table of bad inputs walks through every command (timeline, triage, report,
the show_report alias); the checks run before anything is started, so these
tests take seconds. Also here: the module graph has no import cycle (the
cli <-> triage cycle once loaded the CLI twice and turned a clean error into
a traceback), and the CLI conventions (--version, --help on every option,
format from the extension, BrokenPipe).
"""

import ast
import json
import os
import subprocess
import sys

import pytest

from tests import plaso_run
from tests import scenario_cache

PACKAGE = os.path.join(scenario_cache.REPOSITORY, "plaso_netsupport")
COMMAND = plaso_run.Script("plaso-netsupport")
CLI = [sys.executable, "-m", "plaso_netsupport.cli"]
SHOW = [sys.executable, "-m", "plaso_netsupport.show_report"]
IMAGE = scenario_cache.ImagePath("rat_drop")
# The command-line and rendering modules (this file's subject).
OURS = (
    "plaso_netsupport.cli",
    "plaso_netsupport.triage",
    "plaso_netsupport.render",
    "plaso_netsupport.storage",
    "plaso_netsupport.plaso_commands",
    "plaso_netsupport.show_report",
)


def _Env():
    # The worktree first, so `python -m` loads this checkout.
    path = os.environ.get("PYTHONPATH", "")
    return {
        "PYTHONPATH": scenario_cache.REPOSITORY + (os.pathsep + path if path else "")
    }


def Run(command, cwd=None, stdin=None):
    """Runs a command; returns the CompletedProcess."""
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **_Env()},
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def AssertOneLine(result, *fragments, code=2):
    """Exit status code, one line on stderr that holds every fragment."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "error:" in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert "Traceback" not in result.stderr + result.stdout
    assert "usage:" not in result.stderr + result.stdout


# Module structure.


def _Modules():
    modules = {}
    for root, _, names in os.walk(PACKAGE):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            relative = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3]
            module = relative.replace(os.sep, ".")
            if module.endswith(".__init__"):
                module = module[: -len(".__init__")]
            modules[module] = path
    return modules


def ImportGraph():
    """{module: set of plaso_netsupport modules it imports (at any level)}."""
    modules = _Modules()
    graph = {}
    for module, path in modules.items():
        with open(path, encoding="utf-8") as file_object:
            tree = ast.parse(file_object.read(), path)
        package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(
                        parts[: len(parts) - node.level + 1] + [base]
                    ).strip(".")
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    edges.add(candidate if candidate in modules else base)
        # A module's own ancestor packages are initialised before it: an
        # import of one (for __version__, say) is no cycle.
        ancestors = {module.rsplit(".", n)[0] for n in range(1, module.count(".") + 1)}
        graph[module] = {
            edge
            for edge in edges
            if edge in modules and edge != module and edge not in ancestors
        }
    return graph


def Cycles(graph):
    """Returns the import cycles of a graph, each as a list of modules."""
    cycles, state = [], {}

    def Visit(node, stack):
        state[node] = "active"
        stack.append(node)
        for edge in sorted(graph[node]):
            if state.get(edge) == "active":
                cycles.append(stack[stack.index(edge) :] + [edge])
            elif edge not in state:
                Visit(edge, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            Visit(node, [])
    return cycles


def test_no_import_cycle_between_command_line_modules():
    graph = ImportGraph()
    assert (
        "plaso_netsupport.cli" in graph
        and "plaso_netsupport.render.html_report" in graph
    )
    ours = OURS
    cycles = [
        cycle for cycle in Cycles(graph) if any(m.startswith(ours) for m in cycle)
    ]
    assert cycles == []
    # Nothing imports the command line; plaso_commands imports only the errors
    # and, for --fast, the targeted collection.
    importers = {m for m, edges in graph.items() if "plaso_netsupport.cli" in edges}
    assert importers <= {"plaso_netsupport.show_report"}
    assert graph["plaso_netsupport.plaso_commands"] <= {
        "plaso_netsupport.errors",
        "plaso_netsupport.collection.fast",
    }
    # Renderers read the document only: no plaso, no storage, no triage.
    for module, edges in graph.items():
        if module.startswith("plaso_netsupport.render"):
            assert not any(
                e.startswith(
                    (
                        "plaso_netsupport.triage",
                        "plaso_netsupport.cli",
                        "plaso_netsupport.storage",
                    )
                )
                for e in edges
            ), module


def test_no_import_cycle_anywhere():
    assert Cycles(ImportGraph()) == []


def test_every_module_imports():
    modules = sorted(_Modules())
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    result = Run([sys.executable, "-c", code, *modules])
    assert result.returncode == 0, result.stderr[-3000:]


def test_version_and_help():
    result = Run([*CLI, "--version"])
    assert result.returncode == 0 and result.stdout.startswith("plaso-netsupport ")
    for command in ("timeline", "triage", "report"):
        result = Run([*CLI, command, "--help"])
        assert result.returncode == 0, result.stderr
        # Every option has help text: no option line stands alone.
        options = [
            line for line in result.stdout.splitlines() if line.strip().startswith("-")
        ]
        assert options
        for line in options:
            assert len(line.split("  ")) > 1 or line.rstrip().endswith(","), line
    result = Run([*SHOW, "--help"])
    assert result.returncode == 0 and "STORAGE" in result.stdout


def test_missing_storage_is_one_line_via_python_m(tmp_path):
    result = Run([*CLI, "report", "/missing.plaso", "-o", str(tmp_path / "x.html")])
    AssertOneLine(result, "no such storage file: /missing.plaso")


# The bad-input table.


def _Fixtures(root):
    """Writes the bad inputs; returns {name: path}."""
    paths = {}

    def Write(name, data):
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(path, mode) as file_object:
            file_object.write(data)
        paths[name] = path
        return path

    entry = "  - path: C:\\Tools\n    reason: IT\n"
    Write("allow_bad_date.yaml", "entries:\n" + entry + "    review_date: 2027-13-45\n")
    Write(
        "allow_no_reason.yaml",
        "entries:\n  - path: C:\\Tools\n    review_date: 2027-01-01\n",
    )
    Write("allow_not_yaml.yaml", "entries: [\n")
    Write("allow_no_entries.yaml", "hello: world\n")
    Write(
        "allow_two_keys.yaml",
        "entries:\n  - path: C:\\A\n    gateway: g\n    reason: r\n    review_date: 2027-01-01\n",
    )
    Write("allow_text_date.yaml", "entries:\n" + entry + "    review_date: soon\n")
    Write("rules_broken/broken.yml", "title: [\n")
    os.makedirs(os.path.join(root, "rules_empty"))
    paths["rules_empty"] = os.path.join(root, "rules_empty")
    paths["rules_broken"] = os.path.join(root, "rules_broken")
    Write("not_plaso.plaso", "just text\n")
    Write("damaged.plaso", b"SQLite format 3\x00" + b"\xff" * 4096)
    Write("empty.E01", b"")
    Write("empty.plaso", b"")
    return paths


BAD_INPUTS = [
    # (id, command template, fragments of the one error line)
    (
        "allowlist bad date",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-allowlist",
            "{allow_bad_date.yaml}",
        ],
        [
            "allow_bad_date.yaml",
            "entry 1",
            "review_date 2027-13-45",
            "month must be in 1..12",
        ],
    ),
    (
        "allowlist no reason",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-allowlist",
            "{allow_no_reason.yaml}",
        ],
        ["allow_no_reason.yaml", "entry 1", "needs a reason"],
    ),
    (
        "allowlist not yaml",
        ["triage", "{image}", "-o", "{out}", "--allowlist", "{allow_not_yaml.yaml}"],
        ["allow_not_yaml.yaml", "not valid YAML"],
    ),
    (
        "allowlist no entries",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-allowlist",
            "{allow_no_entries.yaml}",
        ],
        ["allow_no_entries.yaml", "entries"],
    ),
    (
        "allowlist two keys",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-allowlist",
            "{allow_two_keys.yaml}",
        ],
        ["allow_two_keys.yaml", "entry 1", "exactly one of"],
    ),
    (
        "allowlist text date",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-allowlist",
            "{allow_text_date.yaml}",
        ],
        ["allow_text_date.yaml", "entry 1", "review_date"],
    ),
    (
        "allowlist missing",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-allowlist",
            "{root}/nope.yaml",
        ],
        ["no such allowlist file", "nope.yaml"],
    ),
    (
        "allowlist directory",
        ["triage", "{image}", "-o", "{out}", "--netsupport-allowlist", "{rules_empty}"],
        ["allowlist is a directory"],
    ),
    (
        "timeline allowlist bad date",
        [
            "timeline",
            "{storage}",
            "-o",
            "{root}/t.csv",
            "--netsupport-allowlist",
            "{allow_bad_date.yaml}",
        ],
        ["allow_bad_date.yaml", "entry 1", "2027-13-45"],
    ),
    (
        "sigma rules missing",
        ["triage", "{image}", "-o", "{out}", "--netsupport-sigma-rules", "{root}/nope"],
        ["no such Sigma rules directory", "nope"],
    ),
    (
        "sigma rules not a directory",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-sigma-rules",
            "{allow_not_yaml.yaml}",
        ],
        ["not a directory", "allow_not_yaml.yaml"],
    ),
    (
        "sigma rules empty",
        [
            "triage",
            "{image}",
            "-o",
            "{out}",
            "--netsupport-sigma-rules",
            "{rules_empty}",
        ],
        ["no usable Sigma rule in", "rules_empty"],
    ),
    (
        "sigma rules broken",
        [
            "timeline",
            "{storage}",
            "-o",
            "{root}/t.csv",
            "--netsupport-sigma-rules",
            "{rules_broken}",
        ],
        ["no usable Sigma rule in", "broken.yml"],
    ),
    (
        "triage missing source",
        ["triage", "{root}/nope.E01", "-o", "{out}"],
        ["no such image or storage file"],
    ),
    (
        "triage empty image",
        ["triage", "{empty.E01}", "-o", "{out}"],
        ["empty.E01", "empty file"],
    ),
    (
        "triage empty storage",
        ["triage", "{empty.plaso}", "-o", "{out}"],
        ["empty.plaso", "empty file"],
    ),
    ("triage no output", ["triage", "{image}"], ["-o"]),
    (
        "triage bad workers",
        ["triage", "{image}", "-o", "{out}", "--workers", "many"],
        ["--workers", "many"],
    ),
    (
        "triage bad status view",
        ["triage", "{image}", "-o", "{out}", "--status_view", "fancy"],
        ["fancy"],
    ),
    (
        "triage unknown option",
        ["triage", "{image}", "-o", "{out}", "--fast-and-loose"],
        ["--fast-and-loose"],
    ),
    (
        "report missing storage",
        ["report", "{root}/nope.plaso", "-o", "{root}/r.html"],
        ["no such storage file"],
    ),
    ("report not plaso", ["report", "{not_plaso.plaso}"], ["not a plaso storage file"]),
    (
        "report damaged storage",
        ["report", "{damaged.plaso}"],
        ["cannot read plaso storage file", "damaged.plaso"],
    ),
    ("report directory", ["report", "{root}"], ["not a plaso storage file"]),
    (
        "report format disagrees",
        ["report", "{storage}", "-o", "{root}/r.html", "--format", "json"],
        ["--format json disagrees", "r.html"],
    ),
    (
        "report unknown extension",
        ["report", "{storage}", "-o", "{root}/r.pdf"],
        ["r.pdf", "--format"],
    ),
    ("report bad format", ["report", "{storage}", "--format", "pdf"], ["pdf"]),
    (
        "timeline format disagrees",
        ["timeline", "{storage}", "-o", "{root}/t.jsonl", "--format", "csv"],
        ["--format csv disagrees", "t.jsonl"],
    ),
    (
        "timeline missing storage",
        ["timeline", "{root}/nope.plaso", "-o", "{root}/t.csv"],
        ["no such storage file"],
    ),
    ("no command", [], ["COMMAND"]),
]


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("bad"))
    values = _Fixtures(root)
    values.update(
        root=root,
        out=os.path.join(root, "out"),
        image=IMAGE,
        storage=os.path.join(root, "not_plaso.plaso"),
    )
    return values


def _Fill(template, values):
    return [
        (
            part.format(**{k.replace(".", "_"): v for k, v in values.items()})
            if "{" in part
            else part
        )
        for part in [
            p.replace(".yaml}", "_yaml}")
            .replace(".E01}", "_E01}")
            .replace(".plaso}", "_plaso}")
            for p in template
        ]
    ]


_TABLE_RUNNER = """
import contextlib, io, json, sys, traceback
from plaso_netsupport import cli
results = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.Main(argv)
        except SystemExit as exception:
            code = exception.code
        except BaseException:
            code = "exception"
            err.write(traceback.format_exc())
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def table_results(bad_inputs):
    """Runs every row of BAD_INPUTS through cli.Main in one interpreter."""
    argvs = []
    for name, template, _ in BAD_INPUTS:
        values = dict(bad_inputs)
        if name.startswith(
            (
                "timeline",
                "report format",
                "report unknown",
                "report bad",
                "sigma rules broken",
            )
        ):
            # Past the storage check: a real storage file.
            values["storage"] = scenario_cache.Extracted("rat_drop")
        argvs.append(_Fill(template, values))
    result = subprocess.run(
        [sys.executable, "-c", _TABLE_RUNNER],
        input=json.dumps(argvs),
        capture_output=True,
        text=True,
        env={**os.environ, **_Env()},
        timeout=600,
        check=True,
    )
    rows = json.loads(result.stdout.splitlines()[-1])
    return dict(zip([row[0] for row in BAD_INPUTS], rows))


@pytest.mark.parametrize(
    "name,template,fragments", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input(bad_inputs, table_results, name, template, fragments):
    code, stdout, stderr = table_results[name]
    AssertOneLine(subprocess.CompletedProcess([], code, stdout, stderr), *fragments)
    # Nothing ran: no output directory, no half-written output.
    assert not os.path.exists(bad_inputs["out"]), name
    assert not os.path.exists(os.path.join(bad_inputs["root"], "t.csv"))


def test_show_report_errors(bad_inputs):
    AssertOneLine(
        Run([*SHOW, os.path.join(bad_inputs["root"], "nope.plaso")]),
        "no such storage file",
    )
    AssertOneLine(Run([*SHOW]), "STORAGE")
