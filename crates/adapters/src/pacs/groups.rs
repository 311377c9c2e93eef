//! One pass over an order or result message that splits it into order groups: each ORC (or an
//! OBR with no ORC before it, as in many ORU feeds) starts a group that collects the TQ1,
//! OBR, IPC, OBX and ZDS segments after it. Each segment keeps its occurrence number so
//! warnings and errors can name it (`OBX[3]-5`).

use junction_hl7v2::{Message, Segment};

/// A segment with its 1-based occurrence number among segments of the same name.
#[derive(Clone, Copy)]
pub(crate) struct Seg<'m> {
    pub seg: Segment<'m>,
    pub n: usize,
}

/// The segments of one order (ORC … OBR … OBX).
#[derive(Default)]
pub(crate) struct Group<'m> {
    pub orc: Option<Seg<'m>>,
    pub tq1: Option<Seg<'m>>,
    pub obr: Option<Seg<'m>>,
    pub ipc: Option<Seg<'m>>,
    pub zds: Option<Seg<'m>>,
    pub obx: Vec<Seg<'m>>,
}

/// The order groups of a message, in order.
pub(crate) fn groups<'m>(msg: &'m Message<'_>) -> Vec<Group<'m>> {
    let mut out: Vec<Group<'m>> = Vec::new();
    let mut counts = [0usize; 6];
    for seg in msg.segments() {
        let slot = match seg.name() {
            "ORC" => 0,
            "TQ1" => 1,
            "OBR" => 2,
            "IPC" => 3,
            "ZDS" => 4,
            "OBX" => 5,
            _ => continue,
        };
        counts[slot] += 1;
        let s = Seg {
            seg,
            n: counts[slot],
        };
        let starts_group = match slot {
            0 => true,
            2 => out.last().is_none_or(|g| g.obr.is_some()),
            _ => out.is_empty(),
        };
        if starts_group {
            out.push(Group::default());
        }
        let Some(g) = out.last_mut() else { continue };
        match slot {
            0 => g.orc = Some(s),
            1 => g.tq1 = g.tq1.or(Some(s)),
            2 => g.obr = Some(s),
            3 => g.ipc = g.ipc.or(Some(s)),
            4 => g.zds = g.zds.or(Some(s)),
            _ => g.obx.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_orc_or_obr() {
        let msg = Message::parse(
            b"MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.4\rPID|1\rORC|RE\rOBR|1\rOBX|1\rOBX|2\r\
OBR|2\rOBX|3\rORC|NW\rTQ1|1\rOBR|3\rIPC|X\r",
        )
        .unwrap();
        let g = groups(&msg);
        assert_eq!(g.len(), 3);
        assert_eq!(g[0].obx.len(), 2);
        assert!(g[1].orc.is_none());
        assert_eq!(g[1].obr.unwrap().n, 2);
        assert_eq!(g[1].obx[0].n, 3);
        assert!(g[2].tq1.is_some() && g[2].ipc.is_some());
    }
}
