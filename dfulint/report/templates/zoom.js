(function () {
  "use strict";
  // Zoom a flash picture horizontally: positions are scaled, text keeps its size. Labels that
  // now fit move inside their partition; sector boundaries appear once a sector is 4 px wide.
  var LEVELS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

  function num(el, name) { return parseFloat(el.getAttribute(name)); }

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
    var ticks = svg.querySelectorAll("g.tk");
    for (var t = 0; t < ticks.length; t++) {
      ticks[t].classList.toggle("off", num(ticks[t], "data-gap") * k < 75);
    }
    var sectors = svg.querySelector("path.sectors");
    if (sectors) {
      sectors.setAttribute("transform", "translate(" + pad + " 0) scale(" + k + " 1) translate(" + (-pad) + " 0)");
      sectors.classList.toggle("off", num(svg, "data-sector-px") * k < 4);
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
