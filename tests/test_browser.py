"""A real-browser smoke test: JupyterLab + headless Chromium run the capstone notebook, and its app redraws.

Starts JupyterLab (the course's settings from binder/overrides.json) on a copy of the capstone notebook,
opens it in headless Chromium driven by selenium, runs all cells from the Run menu, asserts that the app's
widgets render and that its output redraws after a slider moves, and saves screenshots under build/.
Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install chromium chromium-driver``); skips with
that message when they are absent. Slow: the notebook itself runs for about a minute.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from medtutor import course

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "browser"
CAPSTONE = next(e["file"] for e in course.course_map() if "capstone" in e["file"])
pytestmark = pytest.mark.slow


def _browser() -> tuple[str, str]:
    """Paths of a Chromium binary and its driver, or skip naming the fix."""
    pytest.importorskip("selenium", reason="selenium is not installed: pip install -e '.[test]'")
    chrome = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if Path(p).is_file()), None
    )
    if not chrome or not driver:
        pytest.skip("no headless Chromium here: `apt-get install chromium chromium-driver` (Debian) to run this test")
    return chrome, driver


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url} within {seconds:.0f} s")


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a copy of the capstone notebook (so nothing is saved into the repository)."""
    work, settings = tmp_path / "work", tmp_path / "settings"
    work.mkdir()
    settings.mkdir()
    shutil.copy(ROOT / "notebooks" / CAPSTONE, work / CAPSTONE)
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    overrides["@jupyterlab/docmanager-extension:plugin"] = {"autosave": False}
    (settings / "overrides.json").write_text(json.dumps(overrides))
    port, token = _free_port(), secrets.token_hex(8)
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={work}", f"--LabApp.app_settings_dir={settings}",
    ]  # fmt: skip
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/status?token={token}", 120)
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()  # JupyterLab shuts its kernels down first: give it time, then insist
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _output_html(driver, element) -> str:
    return driver.execute_script("return arguments[0].innerHTML;", element)


def test_capstone_app_renders_and_redraws_in_a_real_browser(lab):
    chrome, chromedriver = _browser()
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    url, token = lab
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=chromedriver), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        driver.get(f"{url}/lab/tree/{CAPSTONE}?token={token}")
        wait = WebDriverWait(driver, 120)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))
        # the kernel must be connected and idle before Run All, or the command is dropped
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator[data-status='idle']"))
        prompts_js = (
            "return [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent);"
        )
        for _attempt in range(3):
            next(e for e in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text == "Run").click()
            WebDriverWait(driver, 10).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, "li[data-command='runmenu:run-all']")
            )
            driver.find_element(By.CSS_SELECTOR, "li[data-command='runmenu:run-all']").click()
            try:  # started: a cell is queued or has run
                WebDriverWait(driver, 60).until(lambda d: any(("*" in p) or any(c.isdigit() for c in p)
                                                              for p in d.execute_script(prompts_js)))  # fmt: skip
                break
            except TimeoutException:
                continue
        # done when no cell is queued ([*]) and either the last code cell ran or a cell raised (Run All stops there)
        done_js = (
            "const p = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(e => e.textContent);"
            "const err = [...document.querySelectorAll(\"[data-mime-type='application/vnd.jupyter.stderr']\")]"
            "  .some(e => e.textContent.includes('Traceback'));"
            "return p.length > 0 && !p.some(t => t.includes('*')) && (err || /\\d/.test(p[p.length - 1]));"
        )
        WebDriverWait(driver, 900, poll_frequency=2).until(lambda d: d.execute_script(done_js))
        stderr = driver.find_elements(By.CSS_SELECTOR, "[data-mime-type='application/vnd.jupyter.stderr']")
        tracebacks = [e.text[-600:] for e in stderr if "Traceback" in e.text]
        driver.save_screenshot(str(SHOTS / "capstone_after_run_all.png"))
        assert not tracebacks, f"a cell raised in the browser: {tracebacks[0]}"
        sliders = driver.find_elements(By.CSS_SELECTOR, ".widget-slider, .jupyter-widget-slider")
        assert sliders, "the app's sliders did not render"
        app_box = sliders[0].find_element(By.XPATH, "./ancestor::div[contains(@class,'widget-vbox')][1]")
        output = app_box.find_element(By.CSS_SELECTOR, ".widget-output, .jupyter-widgets-output-area")
        driver.execute_script("arguments[0].scrollIntoView();", app_box)
        WebDriverWait(driver, 120).until(lambda d: _output_html(d, output).strip())  # first drawing is there
        before = _output_html(driver, output)
        driver.save_screenshot(str(SHOTS / "capstone_before.png"))
        readout = sliders[0].find_element(By.CSS_SELECTOR, ".widget-readout").text
        handle = sliders[0].find_element(By.CSS_SELECTOR, ".noUi-handle")
        ActionChains(driver).move_to_element(handle).click_and_hold().move_by_offset(40, 0).release().perform()
        if sliders[0].find_element(By.CSS_SELECTOR, ".widget-readout").text == readout:  # drag ignored: use keys
            driver.execute_script("arguments[0].focus();", handle)
            ActionChains(driver).send_keys(Keys.ARROW_RIGHT * 5).perform()
        assert sliders[0].find_element(By.CSS_SELECTOR, ".widget-readout").text != readout, "the slider did not move"
        WebDriverWait(driver, 180).until(lambda d: _output_html(d, output) not in ("", before))
        driver.save_screenshot(str(SHOTS / "capstone_after_slider.png"))
    finally:
        driver.quit()
    assert (SHOTS / "capstone_after_slider.png").stat().st_size > 10_000
