// joindots pages: the network view. No inline script anywhere (the CSP forbids it).
"use strict";

const NODE_COLOURS = { focus: "#b7410e", member: "#b7410e", victim: "#1f8b7a", person: "#1f5f8b", event: "#6b7b8c", place: "#8c7b6b", address: "#a08a3f", phone: "#2f7d32", vehicle: "#7b3fa0", email: "#8a6d00" };

function drawNetwork(container, data) {
  const focus = container.dataset.focus;
  return cytoscape({
    container,
    elements: [...data.nodes, ...data.edges],
    layout: { name: "cose", animate: false, padding: 20 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": (n) => NODE_COLOURS[n.data("kind")] || "#999", color: "#1d2733", "text-valign": "bottom", "text-margin-y": 3 } },
      { selector: "node[kind = 'event']", style: { shape: "round-rectangle" } },
      { selector: "node[kind = 'phone'], node[kind = 'vehicle'], node[kind = 'email']", style: { shape: "diamond" } },
      { selector: "node[kind = 'address'], node[kind = 'place']", style: { shape: "triangle" } },
      { selector: `node[id = '${focus}']`, style: { width: 40, height: 40 } },
      { selector: "edge", style: { label: "data(label)", "font-size": 8, width: 1.5, "line-color": "#9aa5b1", "curve-style": "bezier", color: "#5b6775" } },
    ],
  });
}

async function loadNetwork() {
  const container = document.getElementById("network");
  if (!container || typeof cytoscape === "undefined") return;
  const note = document.getElementById("network-note");
  const response = await fetch(container.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) { note.textContent = "The network could not be loaded (" + response.status + ")."; return; }
  const data = await response.json();
  const cy = drawNetwork(container, data);
  const people = "node[kind = 'person'], node[kind = 'member'], node[kind = 'victim']";
  cy.on("tap", people, (evt) => { window.location.href = "/people/" + encodeURIComponent(evt.target.data("person") || evt.target.id()); });
  note.textContent = `${data.nodes.length} nodes, ${data.edges.length} links` + (data.truncated ? " (cut short: too many to draw)" : "") + ". Click a person to open them.";
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => { loadNetwork(); });
