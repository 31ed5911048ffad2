// docstream library: the pages work without this; with it, the query box suggests
// titles, authors and subjects as you type (/api/suggest), and ticking a facet or
// changing the sort applies it at once.
(function () {
  "use strict";
  var box = document.getElementById("q");
  var list = document.getElementById("suggestions");
  var timer = null;
  var last = "";
  if (box && list) {
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var typed = box.value.trim();
        if (typed.length < 2 || typed === last) { return; }
        last = typed;
        fetch("/api/suggest?q=" + encodeURIComponent(typed))
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (body) {
            list.textContent = "";
            body.suggestions.forEach(function (s) {
              var option = document.createElement("option");
              option.value = s.text;
              option.label = s.kind;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience */ });
      }, 150);
    });
  }
  var facets = document.querySelector("form.facets");
  if (facets) {
    facets.addEventListener("change", function (e) {
      if (e.target.type === "checkbox" || e.target.tagName === "SELECT") { facets.submit(); }
    });
    var apply = facets.querySelector(".apply");
    if (apply) { apply.classList.add("visually-hidden"); }
  }
})();
