//! Synthetic NHS numbers for tests: the 999 range (never issued to a real person), each with a
//! valid modulus 11 check digit, so the gateway treats them as real-looking numbers.

/// The modulus 11 check digit of the first nine digits, or `None` when no valid number has
/// them (remainder 1 → check 10).
pub fn check_digit(first9: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first9
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

/// Whether `s` is ten digits with a valid check digit.
pub fn is_valid(s: &str) -> bool {
    let d: Vec<u8> = s.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    if d.len() != 10 || d.iter().any(|&x| x > 9) {
        return false;
    }
    let first9: [u8; 9] = d[..9].try_into().expect("nine digits");
    check_digit(&first9) == Some(d[9])
}

/// The `n`th valid NHS number in the 999 range (`999` then six digits then the check digit),
/// skipping stems that have no valid check digit. Distinct `n` give distinct numbers.
pub fn nhs_number(n: u32) -> String {
    let mut found = 0;
    for stem in 0..1_000_000u32 {
        let s = format!("999{stem:06}");
        let digits: [u8; 9] = s
            .bytes()
            .map(|b| b - b'0')
            .collect::<Vec<_>>()
            .try_into()
            .expect("nine digits");
        if let Some(c) = check_digit(&digits) {
            if found == n {
                return format!("{s}{c}");
            }
            found += 1;
        }
    }
    panic!("no {n}th NHS number in the 999 range");
}

/// The first `count` synthetic NHS numbers.
pub fn nhs_numbers(count: u32) -> Vec<String> {
    (0..count).map(nhs_number).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers_check() {
        // Test numbers used across the project's fixtures.
        assert!(is_valid("9995260182"));
        assert!(is_valid("9990000018"));
        assert!(!is_valid("9990000017"));
    }

    #[test]
    fn generated_numbers_are_valid_and_distinct() {
        let all = nhs_numbers(50);
        assert!(all.iter().all(|n| n.starts_with("999") && is_valid(n)));
        let set: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(set.len(), all.len());
    }
}
