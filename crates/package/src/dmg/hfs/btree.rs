//! HFS+ B-tree files built in one pass from records sorted by key.
//!
//! A B-tree file is an array of fixed-size nodes: node 0 is the header node (the tree's
//! header record, a user-data record and the first piece of the node-allocation map), map
//! nodes continue the allocation map when the tree outgrows it, leaf nodes hold the records
//! in key order and are chained left to right, and index nodes above them hold the first key
//! of each child with the child's node number, up to a single root. Leaves are filled in
//! order: a written tree never changes, so no room is left for insertions.

/// Node kinds (`BTNodeDescriptor.kind`).
const LEAF: i8 = -1;
const INDEX: i8 = 0;
const HEADER: i8 = 1;
const MAP: i8 = 2;

/// The node descriptor at the start of every node.
const DESCRIPTOR: usize = 14;

/// `kBTBigKeysMask`: key lengths are 16-bit.
pub(crate) const BIG_KEYS: u32 = 2;
/// `kBTVariableIndexKeysMask`: index keys are stored at their own length.
pub(crate) const VARIABLE_INDEX_KEYS: u32 = 4;

/// What distinguishes one B-tree file from another.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TreeKind {
    /// Bytes per node (a power of two, 512 to 32768).
    pub(crate) node_size: usize,
    /// The longest key, without its length field.
    pub(crate) max_key_length: u16,
    /// `BIG_KEYS`, `VARIABLE_INDEX_KEYS`.
    pub(crate) attributes: u32,
    /// `keyCompareType`: 0xCF (case folding) or 0xBC (binary) for an HFSX catalog, else 0.
    pub(crate) key_compare: u8,
}

/// One leaf record: its key (with the 16-bit key length in front) and its data.
pub(crate) struct Record {
    pub(crate) key: Vec<u8>,
    pub(crate) data: Vec<u8>,
}

impl Record {
    fn len(&self) -> usize {
        even(self.key.len()) + even(self.data.len())
    }
}

fn even(n: usize) -> usize {
    n + (n & 1)
}

/// Builds the whole file of a tree holding `records`, which must be sorted by key and each
/// fit a node. Returns the file's bytes (a whole number of nodes).
pub(crate) fn build(kind: TreeKind, records: &[Record]) -> Vec<u8> {
    let size = kind.node_size;
    // Leaves: greedy, in key order.
    let leaves = pack(size, records.iter().map(Record::len));
    // Index levels, bottom up: each level's entries are the first keys of the level below.
    let mut levels: Vec<Vec<std::ops::Range<usize>>> = Vec::new();
    let mut first_keys: Vec<&[u8]> = leaves.iter().map(|r| &records[r.start].key[..]).collect();
    while first_keys.len() > 1 {
        let entry_len = |k: &&[u8]| index_key_len(kind, k) + 4;
        let level = pack(size, first_keys.iter().map(entry_len));
        let next: Vec<&[u8]> = level.iter().map(|r| first_keys[r.start]).collect();
        levels.push(level);
        first_keys = next;
    }
    let used = leaves.len() + levels.iter().map(Vec::len).sum::<usize>();
    let maps = map_nodes(size, 1 + used);
    let total = 1 + maps + used;

    let mut file = vec![0u8; total * size];
    let first_leaf = 1 + maps;
    // Leaves.
    for (i, range) in leaves.iter().enumerate() {
        let number = first_leaf + i;
        let prev = if i == 0 { 0 } else { number - 1 };
        let next = if i + 1 == leaves.len() { 0 } else { number + 1 };
        let node = &mut file[number * size..(number + 1) * size];
        let bodies = records[range.clone()].iter().map(|r| {
            let mut body = padded(&r.key);
            body.extend_from_slice(&padded(&r.data));
            body
        });
        write_node(node, LEAF, 1, prev, next, bodies);
    }
    // Index levels: children of level 0 are leaves, of level k the nodes of level k - 1.
    let mut child_first = first_leaf;
    let mut child_keys: Vec<&[u8]> = leaves.iter().map(|r| &records[r.start].key[..]).collect();
    let mut level_first = first_leaf + leaves.len();
    for (height, level) in levels.iter().enumerate() {
        let mut keys_above = Vec::with_capacity(level.len());
        for (i, range) in level.iter().enumerate() {
            let number = level_first + i;
            let prev = if i == 0 { 0 } else { number - 1 };
            let next = if i + 1 == level.len() { 0 } else { number + 1 };
            keys_above.push(child_keys[range.start]);
            let bodies = range.clone().map(|c| {
                let mut body = index_key(kind, child_keys[c]);
                body.extend_from_slice(&u32_be(child_first + c));
                body
            });
            let node = &mut file[number * size..(number + 1) * size];
            write_node(node, INDEX, height as u8 + 2, prev, next, bodies);
        }
        child_first = level_first;
        child_keys = keys_above;
        level_first += level.len();
    }
    let depth = if records.is_empty() {
        0
    } else {
        levels.len() + 1
    };
    let root = match (records.is_empty(), levels.is_empty()) {
        (true, _) => 0,
        (false, true) => first_leaf,
        (false, false) => level_first - 1,
    };
    let (first, last) = if leaves.is_empty() {
        (0, 0)
    } else {
        (first_leaf, first_leaf + leaves.len() - 1)
    };
    let header = HeaderRecord {
        depth: depth as u16,
        root: root as u32,
        leaf_records: records.len() as u32,
        first_leaf: first as u32,
        last_leaf: last as u32,
        total_nodes: total as u32,
    };
    write_header_and_maps(&mut file, kind, &header, maps);
    file
}

/// Splits items of the given lengths into node-sized runs.
fn pack(node_size: usize, lengths: impl Iterator<Item = usize>) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let (mut start, mut used) = (0, DESCRIPTOR + 2);
    let mut count = 0;
    for (i, len) in lengths.enumerate() {
        if used + len + 2 > node_size && i > start {
            runs.push(start..i);
            start = i;
            used = DESCRIPTOR + 2;
        }
        used += len + 2;
        count = i + 1;
    }
    if count > start {
        runs.push(start..count);
    }
    runs
}

fn index_key_len(kind: TreeKind, key: &[u8]) -> usize {
    if kind.attributes & VARIABLE_INDEX_KEYS != 0 {
        even(key.len())
    } else {
        2 + usize::from(kind.max_key_length)
    }
}

/// An index record's key: as stored in the leaf, or padded to the maximum key length with
/// the length field saying so, as trees without variable index keys need.
fn index_key(kind: TreeKind, key: &[u8]) -> Vec<u8> {
    if kind.attributes & VARIABLE_INDEX_KEYS != 0 {
        return padded(key);
    }
    let mut out = vec![0u8; 2 + usize::from(kind.max_key_length)];
    out[..2].copy_from_slice(&kind.max_key_length.to_be_bytes());
    out[2..key.len()].copy_from_slice(&key[2..]);
    out
}

fn padded(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.len() % 2 == 1 {
        out.push(0);
    }
    out
}

fn u32_be(n: usize) -> [u8; 4] {
    (n as u32).to_be_bytes()
}

/// Writes a node: descriptor, record bodies, and the offset table at the end (record 0's
/// offset in the last two bytes, then the others, then the start of free space).
fn write_node(
    node: &mut [u8],
    kind: i8,
    height: u8,
    prev: usize,
    next: usize,
    bodies: impl Iterator<Item = Vec<u8>>,
) {
    let size = node.len();
    let mut at = DESCRIPTOR;
    let mut count = 0usize;
    for body in bodies {
        node[at..at + body.len()].copy_from_slice(&body);
        let slot = size - 2 * (count + 1);
        node[slot..slot + 2].copy_from_slice(&(at as u16).to_be_bytes());
        at += body.len();
        count += 1;
    }
    let slot = size - 2 * (count + 1);
    node[slot..slot + 2].copy_from_slice(&(at as u16).to_be_bytes());
    node[0..4].copy_from_slice(&u32_be(next));
    node[4..8].copy_from_slice(&u32_be(prev));
    node[8] = kind as u8;
    node[9] = height;
    node[10..12].copy_from_slice(&(count as u16).to_be_bytes());
}

struct HeaderRecord {
    depth: u16,
    root: u32,
    leaf_records: u32,
    first_leaf: u32,
    last_leaf: u32,
    total_nodes: u32,
}

/// Bits of the allocation map in the header node and in each map node.
fn header_map_bits(node_size: usize) -> usize {
    (node_size - 256) * 8
}

fn map_node_bits(node_size: usize) -> usize {
    (node_size - 20) * 8
}

/// How many map nodes a tree of `nodes` nodes (map nodes aside) needs.
fn map_nodes(node_size: usize, nodes: usize) -> usize {
    let mut maps = 0;
    while header_map_bits(node_size) + maps * map_node_bits(node_size) < nodes + maps {
        maps += 1;
    }
    maps
}

/// Writes the header node (header record, user data, map) and the map nodes after it; every
/// node is in use.
fn write_header_and_maps(file: &mut [u8], kind: TreeKind, h: &HeaderRecord, maps: usize) {
    let size = kind.node_size;
    let mut rec = Vec::with_capacity(106);
    rec.extend_from_slice(&h.depth.to_be_bytes());
    rec.extend_from_slice(&h.root.to_be_bytes());
    rec.extend_from_slice(&h.leaf_records.to_be_bytes());
    rec.extend_from_slice(&h.first_leaf.to_be_bytes());
    rec.extend_from_slice(&h.last_leaf.to_be_bytes());
    rec.extend_from_slice(&(size as u16).to_be_bytes());
    rec.extend_from_slice(&kind.max_key_length.to_be_bytes());
    rec.extend_from_slice(&h.total_nodes.to_be_bytes());
    rec.extend_from_slice(&0u32.to_be_bytes()); // free nodes
    rec.extend_from_slice(&0u16.to_be_bytes());
    rec.extend_from_slice(&(size as u32).to_be_bytes()); // clump size
    rec.push(0); // btreeType: an HFS tree
    rec.push(kind.key_compare);
    rec.extend_from_slice(&kind.attributes.to_be_bytes());
    rec.resize(106, 0);

    // The map: one bit per node, most significant bit first, all in use.
    let total = h.total_nodes as usize;
    let mut bits = vec![0u8; header_map_bits(size) / 8 + maps * map_node_bits(size) / 8];
    for node in 0..total {
        bits[node / 8] |= 0x80 >> (node % 8);
    }
    let (head_map, rest) = bits.split_at(header_map_bits(size) / 8);

    let header = &mut file[..size];
    let bodies = [rec, vec![0u8; 128], head_map.to_vec()].into_iter();
    write_node(header, HEADER, 0, 0, if maps > 0 { 1 } else { 0 }, bodies);
    for (i, chunk) in rest.chunks(map_node_bits(size) / 8).enumerate() {
        let number = 1 + i;
        let next = if i + 1 == maps { 0 } else { number + 1 };
        let node = &mut file[number * size..(number + 1) * size];
        write_node(node, MAP, 0, 0, next, std::iter::once(chunk.to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: TreeKind = TreeKind {
        node_size: 512,
        max_key_length: 10,
        attributes: BIG_KEYS | VARIABLE_INDEX_KEYS,
        key_compare: 0,
    };

    fn be16(b: &[u8], at: usize) -> usize {
        usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
    }

    fn be32(b: &[u8], at: usize) -> usize {
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
    }

    fn records(n: u32) -> Vec<Record> {
        (0..n)
            .map(|i| {
                let mut key = vec![0, 4];
                key.extend_from_slice(&i.to_be_bytes());
                Record {
                    key,
                    data: vec![7; 40],
                }
            })
            .collect()
    }

    /// Walks the leaves from the header's first leaf and returns every record's key.
    fn leaf_keys(file: &[u8], size: usize) -> Vec<u32> {
        let mut keys = Vec::new();
        let mut node = be32(file, DESCRIPTOR + 10);
        while node != 0 {
            let n = &file[node * size..(node + 1) * size];
            assert_eq!(n[8] as i8, LEAF);
            for r in 0..be16(n, 10) {
                let at = be16(n, size - 2 * (r + 1));
                keys.push(be32(n, at + 2) as u32);
            }
            node = be32(n, 0);
        }
        keys
    }

    #[test]
    fn an_empty_tree_is_a_header_node() {
        let file = build(KIND, &[]);
        assert_eq!(file.len(), 512);
        assert_eq!(file[8] as i8, HEADER);
        assert_eq!(be16(&file, 10), 3);
        assert_eq!(be32(&file, DESCRIPTOR + 2), 0); // root
        assert_eq!(be32(&file, DESCRIPTOR + 22), 1); // total nodes
        assert_eq!(file[DESCRIPTOR + 106 + 128], 0x80); // node 0 in use
    }

    #[test]
    fn records_come_back_in_order_through_an_index() {
        let recs = records(200);
        let file = build(KIND, &recs);
        let size = KIND.node_size;
        assert_eq!(leaf_keys(&file, size), (0..200).collect::<Vec<_>>());
        let depth = be16(&file, DESCRIPTOR);
        assert!(depth >= 2, "depth {depth}");
        let root = be32(&file, DESCRIPTOR + 2);
        let r = &file[root * size..(root + 1) * size];
        assert_eq!(usize::from(r[9]), depth);
        assert_eq!(be32(&file, DESCRIPTOR + 6), 200);
        // Searching from the root by first keys reaches record 150's leaf.
        let mut node = root;
        loop {
            let n = &file[node * size..(node + 1) * size];
            if n[8] as i8 == LEAF {
                let keys: Vec<usize> = (0..be16(n, 10))
                    .map(|i| be32(n, be16(n, size - 2 * (i + 1)) + 2))
                    .collect();
                assert!(keys.contains(&150));
                break;
            }
            let mut child = 0;
            for i in 0..be16(n, 10) {
                let at = be16(n, size - 2 * (i + 1));
                if be32(n, at + 2) <= 150 {
                    child = be32(n, at + 2 + be16(n, at));
                }
            }
            node = child;
        }
    }

    #[test]
    fn big_trees_get_map_nodes() {
        // 512-byte nodes: the header maps 2048 nodes; more need map nodes.
        let recs = records(30_000);
        let file = build(KIND, &recs);
        let total = be32(&file, DESCRIPTOR + 22);
        assert!(total > 2048);
        assert_eq!(file.len(), total * 512);
        assert_eq!(be32(&file, 0), 1); // header links to the first map node
        assert_eq!(file[512 + 8] as i8, MAP);
        assert_eq!(leaf_keys(&file, 512).len(), 30_000);
    }
}
