# SPDX-License-Identifier: BSD-3-Clause
"""The live page's DOM as Chromium dumped it (--dump-dom), for the web tests.

parse(path) returns (cells, text):
  cells: [(data-key, data-stage, [classes])] of every element with class "cell"
  text:  {element id: text inside it, nested elements included}
Shared by t_service_web.sh (edge-case API data) and t_service_live.sh (a
real VM's boot).
"""
from html.parser import HTMLParser


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.stack, self.text = [], [], {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if "cell" in cls:
            self.cells.append((a.get("data-key"), a.get("data-stage"), cls))
        self.stack.append(a.get("id"))

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, d):
        for i in self.stack:
            if i:
                self.text[i] = self.text.get(i, "") + d


def parse(path):
    p = _Dom()
    with open(path) as f:
        p.feed(f.read())
    return p.cells, p.text
