//! `graph --view topology` drawn: Mermaid (GitHub renders it in Markdown with nothing
//! installed), Graphviz dot, and a self-contained SVG laid out here.
//!
//! Every label passes through one escaper per format ([`mermaid_text`], [`dot_text`], and the
//! XML writer for SVG); ids are [`crate::topology`]'s, made of letters, digits and `_`.
//!
//! The SVG layout is a fixed grid, not a general graph layout: the question is "what is in
//! which subnet and what can reach it", which nested boxes answer. Sources of traffic stand
//! in a column left of the VPC, subnets are columns inside it, hosts stack inside their
//! subnet, and the telemetry lane runs below, one column per step an event takes. Edges are
//! straight lines between box borders, red from the internet.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::render::xml::El;
use crate::topology::{Edge, Node, Topology};

/// Text safe inside a Mermaid `"..."` label: quotes, angle brackets and `#` as entity codes
/// (Mermaid's own escape), line breaks as `<br/>`.
pub fn mermaid_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Text safe inside a dot `"..."` string.
pub fn dot_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn lines(n: &Node) -> Vec<&str> {
    std::iter::once(n.name.as_str()).chain(n.detail.iter().map(String::as_str)).collect()
}

fn mermaid_label(n: &Node) -> String {
    lines(n).iter().map(|l| mermaid_text(l)).collect::<Vec<_>>().join("<br/>")
}

fn dot_label(n: &Node) -> String {
    lines(n).iter().map(|l| dot_text(l)).collect::<Vec<_>>().join("\\n")
}

impl Topology {
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let _ = writeln!(out, "  subgraph region[\"{}\"]", mermaid_text(&format!("region {}", self.region)));
        for v in &self.vpcs {
            let _ = writeln!(out, "    subgraph {}[\"{}\"]", v.node.id, mermaid_label(&v.node));
            for s in &v.subnets {
                let _ = writeln!(out, "      subgraph {}[\"{}\"]", s.node.id, mermaid_label(&s.node));
                for h in &s.hosts {
                    let _ = writeln!(out, "        {}[\"{}\"]", h.id, mermaid_label(h));
                }
                let _ = writeln!(out, "      end");
            }
            let _ = writeln!(out, "    end");
        }
        let _ = writeln!(out, "  end");
        for s in &self.sources {
            let _ = writeln!(out, "  {}((\"{}\"))", s.id, mermaid_label(s));
        }
        if !self.lane.is_empty() {
            let _ = writeln!(out, "  subgraph telemetry[\"telemetry\"]");
            for n in &self.lane {
                let _ = writeln!(out, "    {}[\"{}\"]", n.id, mermaid_label(n));
            }
            let _ = writeln!(out, "  end");
        }
        let mut red = vec![];
        for (i, e) in self.edges.iter().chain(&self.lane_edges).enumerate() {
            if e.label.is_empty() {
                let _ = writeln!(out, "  {} --> {}", e.from, e.to);
            } else {
                let _ = writeln!(out, "  {} -->|\"{}\"| {}", e.from, mermaid_text(&e.label), e.to);
            }
            if e.internet {
                red.push(i.to_string());
            }
        }
        let publics: Vec<&str> =
            self.vpcs.iter().flat_map(|v| &v.subnets).filter(|s| s.public).map(|s| s.node.id.as_str()).collect();
        out.push_str("  classDef public fill:#fff4e5,stroke:#e08a00\n  classDef private fill:#eef5ff,stroke:#4a78c2\n");
        out.push_str("  classDef internet fill:#ffe5e5,stroke:#d00000,color:#a00000\n");
        let privates: Vec<&str> =
            self.vpcs.iter().flat_map(|v| &v.subnets).filter(|s| !s.public).map(|s| s.node.id.as_str()).collect();
        for (class, ids) in [("public", publics), ("private", privates)] {
            if !ids.is_empty() {
                let _ = writeln!(out, "  class {} {class}", ids.join(","));
            }
        }
        if self.sources.iter().any(|s| s.id == "internet") {
            out.push_str("  class internet internet\n");
        }
        if !red.is_empty() {
            let _ = writeln!(out, "  linkStyle {} stroke:#d00000,stroke-width:2px,color:#d00000", red.join(","));
        }
        out
    }

    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph topology {\n  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11];\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n");
        let _ = writeln!(
            out,
            "  subgraph cluster_region {{\n    label=\"{}\";",
            dot_text(&format!("region {}", self.region))
        );
        for v in &self.vpcs {
            let _ = writeln!(out, "    subgraph cluster_{} {{\n      label=\"{}\";", v.node.id, dot_label(&v.node));
            for s in &v.subnets {
                let fill = if s.public { "#fff4e5" } else { "#eef5ff" };
                let _ = writeln!(
                    out,
                    "      subgraph cluster_{} {{\n        label=\"{}\"; style=filled; fillcolor=\"{fill}\";",
                    s.node.id,
                    dot_label(&s.node)
                );
                for h in &s.hosts {
                    let _ = writeln!(out, "        {} [label=\"{}\"];", h.id, dot_label(h));
                }
                let _ = writeln!(out, "      }}");
            }
            let _ = writeln!(out, "    }}");
        }
        let _ = writeln!(out, "  }}");
        for s in &self.sources {
            let color = if s.id == "internet" { "#d00000" } else { "#555555" };
            let _ = writeln!(out, "  {} [label=\"{}\", shape=ellipse, color=\"{color}\"];", s.id, dot_label(s));
        }
        if !self.lane.is_empty() {
            let _ = writeln!(out, "  subgraph cluster_telemetry {{\n    label=\"telemetry\";");
            for n in &self.lane {
                let _ = writeln!(out, "    {} [label=\"{}\"];", n.id, dot_label(n));
            }
            let _ = writeln!(out, "  }}");
        }
        for e in self.edges.iter().chain(&self.lane_edges) {
            let style = if e.internet { ", color=\"#d00000\", fontcolor=\"#d00000\", penwidth=2" } else { "" };
            let _ = writeln!(out, "  {} -> {} [label=\"{}\"{style}];", e.from, e.to, dot_text(&e.label));
        }
        out.push_str("}\n");
        out
    }

    pub fn to_svg(&self) -> String {
        self.svg_element().to_svg()
    }

    /// The SVG as an element, to put inside a page (`socform report`).
    pub fn svg_element(&self) -> El {
        Layout::of(self).svg(self)
    }
}

const NODE_W: f64 = 190.0;
const LINE_H: f64 = 14.0;
const PAD: f64 = 14.0;
const GAP: f64 = 28.0;
const MAX_CHARS: usize = 28;
/// Between columns: room for an edge's label.
const COLUMN_GAP: f64 = 120.0;

/// A box's position: left, top, width, height.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Where the line from the centre towards `(tx, ty)` leaves the box.
    fn border_towards(&self, tx: f64, ty: f64) -> (f64, f64) {
        let (cx, cy) = self.center();
        let (dx, dy) = (tx - cx, ty - cy);
        if dx == 0.0 && dy == 0.0 {
            return (cx, cy);
        }
        let sx = if dx == 0.0 { f64::INFINITY } else { (self.w / 2.0) / dx.abs() };
        let sy = if dy == 0.0 { f64::INFINITY } else { (self.h / 2.0) / dy.abs() };
        let s = sx.min(sy);
        (cx + dx * s, cy + dy * s)
    }
}

fn node_h(n: &Node) -> f64 {
    lines(n).len() as f64 * LINE_H + 10.0
}

fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_CHARS {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(MAX_CHARS - 1).collect::<String>())
    }
}

struct Layout {
    boxes: BTreeMap<String, Rect>,
    /// Region, VPCs, subnets, lane: (rect, label lines, class).
    frames: Vec<(Rect, Vec<String>, &'static str)>,
    width: f64,
    height: f64,
}

impl Layout {
    fn of(t: &Topology) -> Layout {
        let mut boxes = BTreeMap::new();
        let mut frames = vec![];
        // Sources: a column on the left.
        let mut y = 60.0;
        let sx = 20.0;
        for s in &t.sources {
            let h = node_h(s);
            boxes.insert(s.id.clone(), Rect { x: sx, y, w: NODE_W - 40.0, h });
            y += h + GAP;
        }
        let left = sx + NODE_W - 40.0 + COLUMN_GAP;
        // Region > VPC > subnet columns > hosts.
        let region_top = 20.0;
        let mut x = left + PAD;
        let mut bottom: f64 = region_top + 40.0;
        for v in &t.vpcs {
            let vpc_top = region_top + 2.0 * LINE_H + PAD;
            let vpc_x = x;
            // Outer frames are drawn first: the VPC's goes before its subnets'.
            let vpc_frame = frames.len();
            let mut sx = vpc_x + PAD;
            let mut vpc_bottom = vpc_top + 40.0;
            // Public subnets nearest the internet, then private ones; empty ones last.
            let mut subnets: Vec<&crate::topology::Subnet> = v.subnets.iter().collect();
            subnets.sort_by_key(|s| (s.hosts.is_empty(), !s.public));
            for s in subnets {
                let top = vpc_top + (1 + v.node.detail.len()) as f64 * LINE_H + PAD;
                let mut hy = top + (1 + s.node.detail.len()) as f64 * LINE_H + PAD;
                for h in &s.hosts {
                    let r = Rect { x: sx + PAD, y: hy, w: NODE_W, h: node_h(h) };
                    hy += r.h + 2.0 * GAP;
                    boxes.insert(h.id.clone(), r);
                }
                // An empty subnet is as tall as its label (three lines: 60).
                let label_h = (1 + s.node.detail.len()) as f64 * LINE_H + 18.0;
                let sub = Rect { x: sx, y: top, w: NODE_W + 2.0 * PAD, h: (hy - top - GAP).max(label_h.max(60.0)) };
                vpc_bottom = vpc_bottom.max(sub.y + sub.h + PAD);
                frames.push((
                    sub,
                    lines(&s.node).iter().map(|l| clip(l)).collect(),
                    if s.public { "public" } else { "private" },
                ));
                sx += sub.w + COLUMN_GAP;
            }
            let vpc =
                Rect { x: vpc_x, y: vpc_top, w: (sx - vpc_x - COLUMN_GAP + PAD).max(NODE_W), h: vpc_bottom - vpc_top };
            frames.insert(vpc_frame, (vpc, lines(&v.node).iter().map(|l| clip(l)).collect(), "vpc"));
            x = vpc.x + vpc.w + GAP;
            bottom = bottom.max(vpc.y + vpc.h + PAD);
        }
        let region = Rect { x: left, y: region_top, w: (x - left).max(NODE_W + 2.0 * PAD), h: bottom - region_top };
        frames.insert(0, (region, vec![format!("region {}", t.region)], "region"));
        let mut width = region.x + region.w + 20.0;
        let mut height = (region.y + region.h).max(y) + 20.0;
        // The telemetry lane: one column per step (longest path from a node nothing feeds).
        if !t.lane.is_empty() {
            let mut rank: BTreeMap<&str, usize> = t.lane.iter().map(|n| (n.id.as_str(), 0)).collect();
            for _ in 0..t.lane.len() {
                for e in &t.lane_edges {
                    let r = rank.get(e.from.as_str()).copied().unwrap_or(0) + 1;
                    if let Some(to) = rank.get_mut(e.to.as_str()) {
                        if *to < r && r < t.lane.len() {
                            *to = r;
                        }
                    }
                }
            }
            // Column by column, each node below the others in the order of the mean row of
            // what feeds it (one barycentre pass: fewer crossings, still deterministic).
            let mut columns: BTreeMap<usize, Vec<&Node>> = BTreeMap::new();
            for n in &t.lane {
                columns.entry(rank[n.id.as_str()]).or_default().push(n);
            }
            let mut row: BTreeMap<&str, f64> = BTreeMap::new();
            for nodes in columns.values_mut() {
                let key = |n: &Node| {
                    let feeds: Vec<f64> = t
                        .lane_edges
                        .iter()
                        .filter(|e| e.to == n.id)
                        .filter_map(|e| row.get(e.from.as_str()).copied())
                        .collect();
                    if feeds.is_empty() {
                        f64::MAX
                    } else {
                        feeds.iter().sum::<f64>() / feeds.len() as f64
                    }
                };
                let mut keyed: Vec<(f64, usize, &Node)> =
                    nodes.iter().enumerate().map(|(i, n)| (key(n), i, *n)).collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                *nodes = keyed.into_iter().map(|(_, _, n)| n).collect();
                for (i, n) in nodes.iter().enumerate() {
                    row.insert(n.id.as_str(), i as f64);
                }
            }
            let lane_top = height + 10.0;
            let mut lane_bottom = lane_top + 40.0;
            for (r, nodes) in &columns {
                let mut y = lane_top + LINE_H + 2.0 * PAD;
                for n in nodes {
                    let rect = Rect { x: 20.0 + PAD + *r as f64 * (NODE_W + COLUMN_GAP), y, w: NODE_W, h: node_h(n) };
                    y += rect.h + GAP / 2.0;
                    lane_bottom = lane_bottom.max(rect.y + rect.h + PAD);
                    width = width.max(rect.x + rect.w + PAD + 20.0);
                    boxes.insert(n.id.clone(), rect);
                }
            }
            let lane = Rect { x: 20.0, y: lane_top, w: width - 40.0, h: lane_bottom - lane_top };
            frames.push((lane, vec!["telemetry".into()], "lane"));
            height = lane.y + lane.h + 20.0;
        }
        Layout { boxes, frames, width, height }
    }

    fn svg(&self, t: &Topology) -> El {
        let mut svg = El::new("svg")
            .attr("xmlns", "http://www.w3.org/2000/svg")
            .attr("width", self.width.round())
            .attr("height", self.height.round())
            .attr("viewBox", format!("0 0 {} {}", self.width.round(), self.height.round()))
            .attr("font-family", "Helvetica, Arial, sans-serif")
            .attr("font-size", "11")
            .child(El::new("title").text(format!("socform topology: {}", t.blueprint)))
            .child(El::new("defs").children(["arrow", "arrow-red"].map(|id| {
                El::new("marker")
                    .attr("id", id)
                    .attr("viewBox", "0 0 10 10")
                    .attr("refX", "10")
                    .attr("refY", "5")
                    .attr("markerWidth", "7")
                    .attr("markerHeight", "7")
                    .attr("orient", "auto-start-reverse")
                    .child(
                        El::new("path")
                            .attr("d", "M 0 0 L 10 5 L 0 10 z")
                            .attr("fill", if id == "arrow" { "#555555" } else { "#d00000" }),
                    )
            })));
        for (r, label, class) in &self.frames {
            let (fill, stroke) = match *class {
                "region" => ("#fafafa", "#999999"),
                "vpc" => ("#f3f8f0", "#5a8f3c"),
                "public" => ("#fff4e5", "#e08a00"),
                "private" => ("#eef5ff", "#4a78c2"),
                _ => ("#f7f4fb", "#7a5ba6"),
            };
            let mut g = El::new("g").attr("class", format!("frame {class}")).child(
                El::new("rect")
                    .attr("x", r.x)
                    .attr("y", r.y)
                    .attr("width", r.w)
                    .attr("height", r.h)
                    .attr("rx", "6")
                    .attr("fill", fill)
                    .attr("stroke", stroke),
            );
            for (i, l) in label.iter().enumerate() {
                g.push(
                    El::new("text")
                        .attr("x", r.x + 8.0)
                        .attr("y", r.y + 16.0 + i as f64 * LINE_H)
                        .attr("font-weight", if i == 0 { "bold" } else { "normal" })
                        .text(l.clone()),
                );
            }
            svg.push(g);
        }
        let edges: Vec<(El, Option<El>)> = t.edges.iter().chain(&t.lane_edges).filter_map(|e| self.edge(e)).collect();
        let mut labels = vec![];
        for (line, label) in edges {
            svg.push(line);
            labels.extend(label);
        }
        let internet = |n: &Node| n.id == "internet";
        let nodes = t
            .sources
            .iter()
            .map(|n| (n, "source"))
            .chain(t.hosts().map(|n| (n, "host")))
            .chain(t.lane.iter().map(|n| (n, "lane")));
        for (n, class) in nodes {
            let Some(r) = self.boxes.get(&n.id) else { continue };
            let (fill, stroke) = if internet(n) { ("#ffe5e5", "#d00000") } else { ("#ffffff", "#555555") };
            let mut g = El::new("g").attr("class", format!("node {class}")).attr("id", &n.id).child(
                El::new("rect")
                    .attr("x", r.x)
                    .attr("y", r.y)
                    .attr("width", r.w)
                    .attr("height", r.h)
                    .attr("rx", if class == "source" { "14" } else { "4" })
                    .attr("fill", fill)
                    .attr("stroke", stroke),
            );
            for (i, l) in lines(n).iter().enumerate() {
                g.push(
                    El::new("text")
                        .attr("x", r.x + 8.0)
                        .attr("y", r.y + 15.0 + i as f64 * LINE_H)
                        .attr("font-weight", if i == 0 { "bold" } else { "normal" })
                        .text(clip(l)),
                );
            }
            svg.push(g);
        }
        // Edge labels last, over everything, so no box hides one.
        for l in labels {
            svg.push(l);
        }
        svg
    }

    /// An edge's line (in a group that names its ends) and its label, drawn apart.
    fn edge(&self, e: &Edge) -> Option<(El, Option<El>)> {
        let (a, b) = (self.boxes.get(&e.from)?, self.boxes.get(&e.to)?);
        let (bx, by) = b.center();
        let (ax, ay) = a.center();
        let (x1, y1) = a.border_towards(bx, by);
        let (x2, y2) = b.border_towards(ax, ay);
        let color = if e.internet { "#d00000" } else { "#555555" };
        let g = El::new("g")
            .attr("class", if e.internet { "edge internet" } else { "edge" })
            .attr("data-from", &e.from)
            .attr("data-to", &e.to)
            .child(
                El::new("line")
                    .attr("x1", format!("{x1:.1}"))
                    .attr("y1", format!("{y1:.1}"))
                    .attr("x2", format!("{x2:.1}"))
                    .attr("y2", format!("{y2:.1}"))
                    .attr("stroke", color)
                    .attr("stroke-width", if e.internet { "2" } else { "1.2" })
                    .attr("marker-end", if e.internet { "url(#arrow-red)" } else { "url(#arrow)" }),
            );
        let label = (!e.label.is_empty()).then(|| {
            El::new("text")
                .attr("class", "edge-label")
                .attr("data-from", &e.from)
                .attr("data-to", &e.to)
                .attr("x", format!("{:.1}", (x1 + x2) / 2.0))
                .attr("y", format!("{:.1}", (y1 + y2) / 2.0 - 4.0))
                .attr("text-anchor", "middle")
                .attr("fill", color)
                .attr("paint-order", "stroke")
                .attr("stroke", "#ffffff")
                .attr("stroke-width", "3")
                .text(clip(&e.label))
        });
        Some((g, label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_text_escapes_its_label_in_mermaid_or_dot() {
        let hostile = "a\"]#x|y`z<b>\nend\\";
        assert_eq!(mermaid_text(hostile), "a#quot;]#35;x#124;y#96;z#lt;b#gt; end\\");
        assert_eq!(dot_text(hostile), "a\\\"]#x|y`z<b> end\\\\");
    }
}
