"""The page of `alexnet serve` in a real browser: Debian's chromium, headless, driven by
python3-selenium. Opens URL, uploads IMAGE through the page's file input and prints the top
class the page shows. Run by ServeTest.PageInARealBrowser (skipped where chromium is absent).

usage: /usr/bin/python3 page_test.py URL IMAGE [SCREENSHOT.png]
"""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def main():
    url, image = sys.argv[1], sys.argv[2]
    screenshot = sys.argv[3] if len(sys.argv) > 3 else None
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-proxy-server"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.get(url)
        WebDriverWait(driver, 30).until(
            lambda d: "classes" in d.find_element(By.ID, "model").text)
        driver.find_element(By.ID, "file").send_keys(image)
        WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.ID, "result").get_attribute("data-top-class"))
        print("model:", driver.find_element(By.ID, "model").text)
        print("top:", driver.find_element(By.ID, "result").get_attribute("data-top-class"))
        bars = driver.find_elements(By.CSS_SELECTOR, "#result .bar")
        print("bars:", len(bars))
        if screenshot:
            driver.set_window_size(900, 560)
            driver.save_screenshot(screenshot)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
