//! Test support shared by `tests/pacs.rs` and `benches/pacs.rs` (included with `#[path]`): a
//! deterministic ORU^R01 carrying a ~5 MB base64 PDF in one ED OBX, generated at test time so
//! the repository does not hold 5 MB twice.

/// Decoded PDF size: 3,800,000 bytes → 5,066,668 base64 characters.
pub const PDF_BYTES: usize = 3_800_000;

/// The message, and the byte range of the base64 text inside it. The PDF bytes are generated
/// and encoded in one stream, so the only large allocation is the message itself (peak-memory
/// figures taken after this call then show what decoding adds).
pub fn message() -> (Vec<u8>, std::ops::Range<usize>) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let head = "MSH|^~\\&|CRIS|RXX|ICE|RXX|20250305153002||ORU^R01^ORU_R01|CRIS3000099|P|2.4\r\
PID|1||9996758095^^^NHS^NH~K5500404^^^RXX^MR||BARRACLOUGH^Keith^^^Mr^^L||19610320|1\r\
OBR|1|OC25-0098765^ICE|RXX25R0012345^CRIS|XCHES^XR Chest^NICIP|||20250305113000|||||||||\
C9990011^OKONKWO^Adaeze^^^Dr||RXX25R0012345||||20250305153000||RAD|F|||||||C9990066&FARROW&Helen&&&&Dr\r\
OBX|1|ED|PDF^Radiology report (PDF)^L||^application^pdf^Base64^";
    let mut msg = Vec::with_capacity(head.len() + PDF_BYTES.div_ceil(3) * 4 + 16);
    msg.extend_from_slice(head.as_bytes());
    let start = msg.len();
    let (first, last) = (b"%PDF-1.4\n", b"\n%%EOF\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut byte = |i: usize| -> u8 {
        if i < first.len() {
            first[i]
        } else if i >= PDF_BYTES - last.len() {
            last[i - (PDF_BYTES - last.len())]
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        }
    };
    for at in (0..PDF_BYTES).step_by(3) {
        let n = (PDF_BYTES - at).min(3);
        let b: [u8; 3] = std::array::from_fn(|k| if k < n { byte(at + k) } else { 0 });
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            msg.push(if i <= n {
                A[(v >> (18 - 6 * i)) as usize & 63]
            } else {
                b'='
            });
        }
    }
    let end = msg.len();
    msg.extend_from_slice(b"||||||F\r");
    (msg, start..end)
}

/// Peak resident set (`VmHWM`) of this process in KiB, where `/proc` exists.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
