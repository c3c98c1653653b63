(function () {
  "use strict";
  // Zoom a flash picture horizontally: positions are scaled, text keeps its size. Labels that
  // now fit move inside their partition; sector boundaries appear once a sector is 4 px wide.
  var LEVELS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

  var SVGNS = "http://www.w3.org/2000/svg";

  function num(el, name) { return parseFloat(el.getAttribute(name)); }

  function svgEl(name, attrs, text) {
    var el = document.createElementNS(SVGNS, name);
    for (var key in attrs) { el.setAttribute(key, attrs[key]); }
    if (text) { el.textContent = text; }
    return el;
  }

  // address ticks: a power-of-two step with at most 8 intervals per screen width at 1x, denser
  // as the picture grows
  function axis(svg, k) {
    var g = svg.querySelector("g.axis");
    var size = num(svg, "data-size");
    if (!g || !(size > 0)) { return; }
    var pad = num(svg, "data-pad") || 12;
    var inner = num(svg, "data-bar-w") || (num(svg, "data-width") - 2 * pad);
    var base = num(svg, "data-base") || 0;
    var top = num(svg, "data-bar-top");
    var step = 1;
    var most = Math.max(1, Math.min(8 * k, Math.floor(inner * k / 110)));   // a label needs about 110 px
    while (size / step > most) { step *= 2; }
    while (g.firstChild) { g.removeChild(g.firstChild); }
    var ticks = [];
    for (var a = 0; a <= size; a += step) { ticks.push(a); }
    if (ticks[ticks.length - 1] !== size) { ticks.push(size); }
    for (var i = 0; i < ticks.length; i++) {
      var x = pad + ticks[i] / size * inner * k;
      var anchor = i === 0 ? "start" : (ticks[i] === size ? "end" : "middle");
      g.appendChild(svgEl("line", {x1: x, x2: x, y1: top - 5, y2: top}));
      g.appendChild(svgEl("text", {"class": "tick", x: x, y: top - 8, "text-anchor": anchor},
                          "0x" + (base + ticks[i]).toString(16)));
    }
  }

  function sectorLines(svg, path) {
    if (path.getAttribute("d")) { return; }
    var pad = num(svg, "data-pad") || 12;
    var n = num(svg, "data-sectors");
    var px = num(svg, "data-sector-px");
    var top = num(svg, "data-bar-top");
    var h = num(svg, "data-bar-h");
    var d = [];
    for (var i = 1; i < n; i++) { d.push("M" + (pad + i * px).toFixed(2) + " " + top + "v" + h); }
    path.setAttribute("d", d.join(" "));
  }

  function place(svg, k) {
    var pad = num(svg, "data-pad") || 12;
    var width = num(svg, "data-width");
    svg.setAttribute("width", String(pad * 2 + (width - 2 * pad) * k));
    var nodes = svg.querySelectorAll("[data-x]");
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var x = pad + (num(el, "data-x") - pad) * k + (num(el, "data-dx") || 0);
      if (el.tagName === "line") {
        el.setAttribute("x1", x);
        el.setAttribute("x2", x);
      } else {
        el.setAttribute("x", x);
      }
      if (el.tagName === "rect" && el.hasAttribute("data-w")) {
        el.setAttribute("width", Math.max(num(el, "data-w") * k, 0.6));
      }
    }
    var frame = svg.querySelector("rect.frame");
    if (frame) { frame.setAttribute("width", num(frame, "data-w") * k); }
    var labels = svg.querySelectorAll("text.in, g.co");
    for (var j = 0; j < labels.length; j++) {
      var fits = num(labels[j], "data-w") * k >= num(labels[j], "data-need");
      labels[j].classList.toggle("off", labels[j].tagName === "text" ? !fits : fits);
    }
    axis(svg, k);
    var sectors = svg.querySelector("path.sectors");
    if (sectors) {
      var visible = num(svg, "data-sector-px") * k >= 4;
      if (visible) { sectorLines(svg, sectors); }
      sectors.setAttribute("transform", "translate(" + pad + " 0) scale(" + k + " 1) translate(" + (-pad) + " 0)");
      sectors.classList.toggle("off", !visible);
    }
  }

  function zoom(box, how) {
    var svg = box.querySelector("svg.flashmap");
    var scroller = box.querySelector(".scroll");
    var at = LEVELS.indexOf(Number(box.getAttribute("data-k") || "1"));
    if (at < 0) { at = 0; }
    if (how === "in") { at = Math.min(at + 1, LEVELS.length - 1); }
    else if (how === "out") { at = Math.max(at - 1, 0); }
    else { at = 0; }
    var before = svg.width.baseVal.value || 1;
    var centre = (scroller.scrollLeft + scroller.clientWidth / 2) / before;
    var k = LEVELS[at];
    box.setAttribute("data-k", String(k));
    place(svg, k);
    scroller.scrollLeft = centre * svg.width.baseVal.value - scroller.clientWidth / 2;
    var out = box.querySelector(".zl");
    if (out) { out.textContent = k + "\u00d7"; }
  }

  function zoomTo(box, k) {
    var at = LEVELS.indexOf(k);
    if (at < 0) { return; }
    box.setAttribute("data-k", String(k));
    place(box.querySelector("svg.flashmap"), k);
    var out = box.querySelector(".zl");
    if (out) { out.textContent = k + "\u00d7"; }
  }

  // a link ending in #zoom=8 opens every picture zoomed in eight times
  var m = /(?:^#|&)zoom=(\d+)/.exec(window.location.hash || "");
  if (m) {
    var boxes = document.querySelectorAll(".flash");
    for (var i = 0; i < boxes.length; i++) { zoomTo(boxes[i], Number(m[1])); }
  }

  document.addEventListener("click", function (ev) {
    var b = ev.target.closest ? ev.target.closest("button[data-zoom]") : null;
    if (!b) { return; }
    var box = b.closest(".flash");
    if (box) { zoom(box, b.getAttribute("data-zoom")); }
  });
})();
