//! The dependency graph: resources as nodes, "needs" as edges, in a petgraph DAG.
//!
//! Edges come from the model (every template and explicit dependency), so the graph cannot
//! disagree with the attributes. Security-group rules are nodes of their own, which lets
//! groups name each other freely; any other cycle is a real one and is reported with its full
//! path. The text rendering is stable (sorted) so that tests can compare graphs.
//!
//! **Architecture Invariant:** pure: no I/O, no AWS, no YAML.

use std::collections::BTreeMap;
use std::fmt::Write;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::address::Address;
use crate::model::Model;

/// A dependency graph. An edge `a -> b` means `a` needs `b` to exist first.
pub struct Graph {
    graph: DiGraph<Address, ()>,
    index: BTreeMap<Address, NodeIndex>,
}

/// A dependency cycle, as the path that closes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency cycle: {}", .path.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(" -> "))]
pub struct Cycle {
    /// The addresses along the cycle; the first is repeated at the end.
    pub path: Vec<Address>,
}

/// An edge to an address the graph does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{from}` depends on `{to}`, which is not defined")]
pub struct Dangling {
    pub from: Address,
    pub to: Address,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error(transparent)]
    Cycle(#[from] Cycle),
    #[error(transparent)]
    Dangling(#[from] Dangling),
    /// A lookup the plan cannot resolve (planned without reading AWS).
    #[error("{0}")]
    Lookup(String),
}

impl Graph {
    /// Builds the graph of a model, refusing cycles.
    pub fn from_model(model: &Model) -> Result<Self, GraphError> {
        Self::build(model.resources.iter().map(|r| (r.address.clone(), r.depends_on.iter().cloned().collect())))
    }

    /// Builds a graph from nodes and their dependencies.
    pub fn build(nodes: impl IntoIterator<Item = (Address, Vec<Address>)>) -> Result<Self, GraphError> {
        let nodes: Vec<(Address, Vec<Address>)> = nodes.into_iter().collect();
        let mut graph = DiGraph::with_capacity(nodes.len(), nodes.len() * 2);
        let mut index = BTreeMap::new();
        for (a, _) in &nodes {
            index.insert(a.clone(), graph.add_node(a.clone()));
        }
        for (a, deps) in &nodes {
            let from = index[a];
            for d in deps {
                let Some(&to) = index.get(d) else {
                    return Err(Dangling { from: a.clone(), to: d.clone() }.into());
                };
                graph.update_edge(from, to, ());
            }
        }
        let g = Self { graph, index };
        g.check_acyclic()?;
        Ok(g)
    }

    fn check_acyclic(&self) -> Result<(), Cycle> {
        for scc in tarjan_scc(&self.graph) {
            let self_loop = scc.len() == 1 && self.graph.contains_edge(scc[0], scc[0]);
            if scc.len() > 1 || self_loop {
                return Err(self.cycle_path(&scc));
            }
        }
        Ok(())
    }

    /// A concrete cycle inside a strongly connected component, starting from its smallest
    /// address so that the message is stable.
    fn cycle_path(&self, scc: &[NodeIndex]) -> Cycle {
        let members: std::collections::BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let start = *scc.iter().min_by_key(|n| &self.graph[**n]).expect("non-empty");
        // Breadth-first search back to `start`, staying inside the component.
        let mut prev: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut found = None;
        'search: while let Some(n) = queue.pop_front() {
            let mut next: Vec<NodeIndex> =
                self.graph.neighbors_directed(n, Direction::Outgoing).filter(|m| members.contains(m)).collect();
            next.sort_by_key(|m| &self.graph[*m]);
            for m in next {
                if m == start {
                    found = Some(n);
                    break 'search;
                }
                if let std::collections::btree_map::Entry::Vacant(e) = prev.entry(m) {
                    e.insert(n);
                    queue.push_back(m);
                }
            }
        }
        let mut path = vec![self.graph[start].clone()];
        if let Some(mut n) = found {
            let mut back = vec![];
            while n != start {
                back.push(self.graph[n].clone());
                n = prev[&n];
            }
            back.reverse();
            path.extend(back);
        }
        path.push(self.graph[start].clone());
        Cycle { path }
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// What `address` needs, sorted.
    pub fn dependencies(&self, address: &Address) -> Vec<&Address> {
        self.neighbours(address, Direction::Outgoing)
    }

    /// What needs `address`, sorted.
    pub fn dependents(&self, address: &Address) -> Vec<&Address> {
        self.neighbours(address, Direction::Incoming)
    }

    fn neighbours(&self, address: &Address, dir: Direction) -> Vec<&Address> {
        let Some(&n) = self.index.get(address) else { return vec![] };
        let mut v: Vec<&Address> = self.graph.neighbors_directed(n, dir).map(|m| &self.graph[m]).collect();
        v.sort();
        v
    }

    /// Addresses in an order where every resource comes after what it needs; ties are broken
    /// by address so that the order is stable.
    pub fn creation_order(&self) -> Vec<&Address> {
        let mut remaining: BTreeMap<NodeIndex, usize> = self
            .graph
            .node_indices()
            .map(|n| (n, self.graph.neighbors_directed(n, Direction::Outgoing).count()))
            .collect();
        let mut ready: std::collections::BTreeSet<(&Address, NodeIndex)> =
            remaining.iter().filter(|(_, c)| **c == 0).map(|(n, _)| (&self.graph[*n], *n)).collect();
        let mut out = Vec::with_capacity(self.len());
        while let Some((a, n)) = ready.pop_first() {
            out.push(a);
            for m in self.graph.neighbors_directed(n, Direction::Incoming) {
                let c = remaining.get_mut(&m).expect("every node counted");
                *c -= 1;
                if *c == 0 {
                    ready.insert((&self.graph[m], m));
                }
            }
        }
        out
    }

    /// One line per resource in creation order: `address <- dependency, dependency`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for a in self.creation_order() {
            let deps = self.dependencies(a);
            if deps.is_empty() {
                let _ = writeln!(out, "{a}");
            } else {
                let list: Vec<String> = deps.iter().map(|d| d.to_string()).collect();
                let _ = writeln!(out, "{a} <- {}", list.join(", "));
            }
        }
        out
    }

    /// Graphviz: nodes grouped by kind, edges from a resource to what it needs.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph socform {\n  rankdir=RL;\n  node [shape=box, fontname=\"Helvetica\"];\n");
        for a in self.index.keys() {
            let _ = writeln!(out, "  \"{a}\" [label=\"{}\\n{}\"];", a.kind(), a.name().replace('"', "\\\""));
        }
        for (a, &n) in &self.index {
            let mut deps: Vec<&Address> =
                self.graph.neighbors_directed(n, Direction::Outgoing).map(|m| &self.graph[m]).collect();
            deps.sort();
            for d in deps {
                let _ = writeln!(out, "  \"{a}\" -> \"{d}\";");
            }
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        Address::parse(s).unwrap()
    }

    #[test]
    fn creation_order_puts_dependencies_first() {
        let g = Graph::build([
            (a("subnet.a"), vec![a("vpc.main")]),
            (a("vpc.main"), vec![]),
            (a("instance.web"), vec![a("subnet.a"), a("security_group.web")]),
            (a("security_group.web"), vec![a("vpc.main")]),
        ])
        .unwrap();
        let order: Vec<String> = g.creation_order().iter().map(|a| a.to_string()).collect();
        // Ties are broken by address: kinds in their declared order, then names.
        assert_eq!(order, ["vpc.main", "subnet.a", "security_group.web", "instance.web"]);
    }

    #[test]
    fn a_cycle_is_reported_with_its_whole_path() {
        let err = Graph::build([
            (a("instance.a"), vec![a("instance.b")]),
            (a("instance.b"), vec![a("instance.c")]),
            (a("instance.c"), vec![a("instance.a")]),
            (a("vpc.main"), vec![]),
        ])
        .err()
        .unwrap();
        assert_eq!(err.to_string(), "dependency cycle: instance.a -> instance.b -> instance.c -> instance.a");
    }

    #[test]
    fn a_dangling_dependency_is_an_error() {
        let err = Graph::build([(a("subnet.a"), vec![a("vpc.main")])]).err().unwrap();
        assert_eq!(err.to_string(), "`subnet.a` depends on `vpc.main`, which is not defined");
    }
}
