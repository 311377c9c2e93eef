//! The token endpoint's checks of the client assertion, one rule at a time, with assertions
//! signed here (the client's own happy path is tested in `junction-national`).

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;

const URL: &str = "http://127.0.0.1:1/oauth2/token";

struct Fixture {
    platform: Platform,
    key: EncodingKey,
}

fn fixture() -> Fixture {
    let pair = generate_key_pair().unwrap();
    let platform =
        Platform::new(PlatformConfig::new(URL, "api-key", "k1", &pair.public_pem)).unwrap();
    let key = EncodingKey::from_rsa_pem(pair.private_pem.as_bytes()).unwrap();
    Fixture { platform, key }
}

fn claims(exp_in: i64) -> Value {
    let now = jsonwebtoken::get_current_timestamp() as i64;
    json!({"iss": "api-key", "sub": "api-key", "aud": URL,
           "jti": uuid::Uuid::new_v4().to_string(), "exp": now + exp_in})
}

fn sign(
    f: &Fixture,
    alg: Algorithm,
    typ: Option<&str>,
    kid: Option<&str>,
    claims: &Value,
) -> String {
    let mut header = Header::new(alg);
    header.typ = typ.map(str::to_string);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, claims, &f.key).unwrap()
}

fn form(jwt: &str) -> HashMap<String, String> {
    HashMap::from([
        ("grant_type".to_string(), "client_credentials".to_string()),
        ("client_assertion_type".to_string(), JWT_BEARER.to_string()),
        ("client_assertion".to_string(), jwt.to_string()),
    ])
}

fn refusal(f: &Fixture, jwt: &str) -> (StatusCode, &'static str) {
    match f.platform.exchange(&form(jwt)) {
        Ok(_) => panic!("accepted"),
        Err(Refusal(status, _, description)) => (status, description),
    }
}

#[test]
fn accepts_a_proper_assertion_once() {
    let f = fixture();
    let jwt = sign(&f, Algorithm::RS512, Some("JWT"), Some("k1"), &claims(300));
    let answer = f
        .platform
        .exchange(&form(&jwt))
        .unwrap_or_else(|_| panic!("refused"));
    assert_eq!(answer["expires_in"], "599");
    let token = answer["access_token"].as_str().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    assert!(f.platform.check(&headers).is_ok());
    f.platform.revoke_all();
    assert_eq!(
        f.platform.check(&headers).unwrap_err().status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(refusal(&f, &jwt).1.contains("Non-unique 'jti'"));
}

#[test]
fn header_rules() {
    let f = fixture();
    let c = claims(300);
    let (s, d) = refusal(&f, &sign(&f, Algorithm::RS256, Some("JWT"), Some("k1"), &c));
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(d.contains("'alg'"));
    assert!(
        refusal(&f, &sign(&f, Algorithm::RS512, None, Some("k1"), &c))
            .1
            .contains("'typ'")
    );
    assert!(
        refusal(&f, &sign(&f, Algorithm::RS512, Some("JWT"), None, &c))
            .1
            .contains("Missing 'kid'")
    );
    let (s, d) = refusal(&f, &sign(&f, Algorithm::RS512, Some("JWT"), Some("k2"), &c));
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(d.contains("no matching public key"));
}

#[test]
fn expiry_rules() {
    let f = fixture();
    let jwt = |exp_in| {
        sign(
            &f,
            Algorithm::RS512,
            Some("JWT"),
            Some("k1"),
            &claims(exp_in),
        )
    };
    assert!(refusal(&f, &jwt(-60)).1.contains("expired"));
    assert!(refusal(&f, &jwt(360)).1.contains("more than 5 minutes"));
    let mut no_exp = claims(300);
    no_exp.as_object_mut().unwrap().remove("exp");
    let unsigned = sign(&f, Algorithm::RS512, Some("JWT"), Some("k1"), &no_exp);
    assert!(refusal(&f, &unsigned).1.contains("Missing 'exp'"));
    let mut no_jti = claims(300);
    no_jti.as_object_mut().unwrap().remove("jti");
    let jwt = sign(&f, Algorithm::RS512, Some("JWT"), Some("k1"), &no_jti);
    assert!(refusal(&f, &jwt).1.contains("Missing 'jti'"));
}

#[test]
fn subject_must_equal_issuer() {
    let f = fixture();
    let mut c = claims(300);
    c["sub"] = json!("other");
    let (s, d) = refusal(&f, &sign(&f, Algorithm::RS512, Some("JWT"), Some("k1"), &c));
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(d.contains("'iss'/'sub'"));
}

#[test]
fn form_decoding() {
    let form = parse_form(b"a=x+y%2Fz&b=%3A&c=%4&d");
    assert_eq!(form["a"], "x y/z");
    assert_eq!(form["b"], ":");
    assert_eq!(form["c"], "%4");
    assert_eq!(form["d"], "");
}
