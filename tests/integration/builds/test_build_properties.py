"""Properties in real builds: set by steps, rendered, stored; secrets never stored in clear."""

from __future__ import annotations

import pytest_twisted

from tests.integration.builds.conftest import BuildEnv

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw', properties={'os': 'linux'})]
c['properties'] = {'global_one': 1}

class Secrets:
    def get(self, name):
        return {'token': 's3cr3t-value'}.get(name)

c['secretsProviders'] = [Secrets()]

def parse(rc, stdout, stderr):
    key, value = stdout.strip().split('=')
    return {key: value, 'rc_seen': rc}

f = util.BuildFactory()
f.addStep(steps.SetPropertyFromCommand(command='echo v1', property='from_cmd'))
f.addStep(steps.SetPropertyFromCommand(command='echo k2=v2', extract_fn=parse))
f.addStep(steps.SetProperty(
    property='combined', value=util.Interpolate('%(prop:from_cmd)s+%(prop:k2)s')))
f.addStep(steps.SetProperties(properties={'a': 1, 'b': util.Property('workername')}))
f.addStep(steps.Assert(check=util.Transform(lambda v: v == 'v1+v2', util.Property('combined'))))
f.addStep(steps.LogRenderable(content=util.Property('b')))
f.addStep(steps.ShellCommand(
    name='secret', command=util.Interpolate('echo token=%(secret:token)s; echo %(prop:os)s')))
c['builders'] = [util.BuilderConfig(name='props', workernames=['w1'], factory=f,
                                    defaultProperties={'dflt': 'd', 'extra': 'ignored'})]
"""


@pytest_twisted.ensureDeferred
async def test_properties_set_by_steps_are_stored_and_secrets_are_redacted(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    bsid, brid = await build_env.force("props", {"extra": "forced"}, branch="main", revision="abc")
    assert (await build_env.finished(bsid))["results"] == 0
    build = (await build_env.get(f"buildrequests/{brid}/builds?property=*"))["builds"][0]
    props = {name: value for name, (value, _) in build["properties"].items()}
    assert props["from_cmd"] == "v1"
    assert props["k2"] == "v2" and props["rc_seen"] == 0
    assert props["combined"] == "v1+v2"
    assert props["a"] == 1 and props["b"] == "w1"
    assert props["global_one"] == 1 and props["os"] == "linux"
    assert props["dflt"] == "d" and props["extra"] == "forced"
    assert props["branch"] == "main" and props["revision"] == "abc"
    assert props["scheduler"] == "test" and props["reason"] == "a test"
    assert props["builddir"].endswith("/props") and props["workerbuilddir"] == "props"
    assert build["properties"]["from_cmd"][1] == "SetPropertyFromCommand Step"
    steps = (await build_env.get(f"builds/{build['buildid']}/steps"))["steps"]
    assert steps[0]["state_string"] == "property 'from_cmd' set"
    assert "'w1'" in await build_env.log_text(build["buildid"], 5, "Output")
    secret_log = await build_env.log_text(build["buildid"], 6)
    assert "otoken=<secret>\n" in secret_log and "olinux\n" in secret_log
    assert "s3cr3t" not in secret_log
    assert "s3cr3t" not in steps[6]["state_string"]
