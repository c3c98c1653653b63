"""JUnit XML, for CI systems that show test reports (GitLab `artifacts:reports:junit`, Jenkins, ...).

One test suite per app; one failing test case per finding, named after the rule and the place;
an app without findings gets one passing test case, so every checked app shows up.
"""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from dfulint import docs
from dfulint.baseline import rel_path


def render(result) -> str:
    root = result.root or Path.cwd()
    suites = ET.Element("testsuites", name="dfulint")
    total = failures = 0
    by_app: dict[str, list] = {}
    for f in result.findings:
        by_app.setdefault(str(f.app), []).append(f)
    for a in result.apps:
        app_key = str(a.app.root)
        name = rel_path(a.app.root, root)
        boards = ", ".join(t.board for t in a.targets if t.board)
        findings = by_app.get(app_key, [])
        skipped = sum(1 for s in result.suppressed if str(s.finding.app) == app_key)
        suite = ET.SubElement(suites, "testsuite", name=f"dfulint: {name}", tests=str(max(1, len(findings))),
                              failures=str(len(findings)), errors="0", skipped="0")
        props = ET.SubElement(suite, "properties")
        for k, v in (("sdk", f"{'NCS' if a.app.framework == 'ncs' else 'Zephyr'} {a.app.sdk}"),
                     ("build_system", a.app.build_system), ("boards", boards), ("suppressed", str(skipped))):
            ET.SubElement(props, "property", name=k, value=v)
        classname = "dfulint." + name.replace("/", ".").strip(".")
        if not findings:
            ET.SubElement(suite, "testcase", classname=classname, name="no DFU problems", time="0")
        for f in findings:
            path = rel_path(f.span.path, root)
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=f"{f.code} {f.name} at {path}:{f.span.line}", file=path,
                                 line=str(f.span.line), time="0")
            body = [f"{path}:{f.span.line}:{f.span.col}: {f.code} [{f.severity.label}] {f.message}"]
            if f.board:
                body.append(f"board: {f.board}")
            if f.image:
                body.append(f"image: {f.image}")
            if f.fix:
                body.append(f"fix: {f.fix}")
            body.append(f"rule: {docs.url(f.code)}")
            fail = ET.SubElement(case, "failure", message=f.message, type=f.severity.label)
            fail.text = "\n".join(body)
        total += max(1, len(findings))
        failures += len(findings)
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(len(result.internal_errors)))
    if result.internal_errors:
        suite = ET.SubElement(suites, "testsuite", name="dfulint: internal errors",
                              tests=str(len(result.internal_errors)), failures="0",
                              errors=str(len(result.internal_errors)), skipped="0")
        for i, e in enumerate(result.internal_errors, 1):
            case = ET.SubElement(suite, "testcase", classname="dfulint", name=f"internal error {i}", time="0")
            err = ET.SubElement(case, "error", message=e, type="internal-error")
            err.text = e
    ET.indent(suites) if hasattr(ET, "indent") else None
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
