//! Issue 18, the learner acts: expectations that compare a reply with its request or
//! describe it field by field, run as scripts in the sandbox as each user. Every check
//! here is tried once where it holds and once where it must fail, so none can pass by
//! construction.

mod common;
use common::*;

/// Runs a script and returns the run; a run that should pass exits 0, one that should
/// fail exits 1 and names the failure.
fn script(user: User, text: &str) -> Run {
    run_script(user, text, &[])
}

#[test]
fn a_reply_field_compared_with_the_request() {
    for user in users() {
        let ok = script(
            user,
            "listen icmp\nsend\nexpect reply icmp.ident == request within 1s\nexpect reply icmp.type != request\nexpect reply ip.dst == request ip.src\n",
        );
        assert_eq!(ok.code, 0, "{}", ok.all());
        assert!(
            ok.stdout.contains("✓ expect reply icmp.type != request: #3 has icmp.type 0 (echo-reply), request #2 has icmp.type 8 (echo-request)"),
            "{}",
            ok.all()
        );
        // The kernel's reply is an echo reply, so its type is not the request's.
        let bad = script(
            user,
            "listen icmp\nsend\nexpect reply icmp.type == request within 1s\n",
        );
        assert_eq!(bad.code, 1, "{}", bad.all());
        assert!(
            bad.stdout.contains("✗ expect reply icmp.type == request within 1 s: expected icmp.type == the request's icmp.type, but reply #3 has 0 (echo-reply) and request #2 has 8 (echo-request)"),
            "{}",
            bad.all()
        );
        // A wrong checksum gets no reply, so there is nothing to compare with.
        let none = script(
            user,
            "listen icmp\nset icmp.checksum 1\nsend\nexpect reply icmp.ident == request\n",
        );
        assert_eq!(none.code, 1, "{}", none.all());
        assert!(none.stdout.contains("no reply arrived"), "{}", none.all());
    }
}

#[test]
fn a_reply_described_field_by_field_names_what_differed() {
    for user in users() {
        let ok = script(
            user,
            "listen icmp\nsend\nexpect reply like icmp.type echo-reply, icmp.code 0, icmp.ident request, icmp.seq request, data c0de within 1s\n",
        );
        assert_eq!(ok.code, 0, "{}", ok.all());
        assert!(
            ok.stdout.contains(": #3 has icmp.type 0 (echo-reply), icmp.code 0, icmp.ident 0, icmp.seq 0, data.data c0 de"),
            "{}",
            ok.all()
        );
        let bad = script(
            user,
            "listen icmp\npayload beef\nsend\nexpect reply like icmp.type echo-request, icmp.code 0, data c0de within 1s\n",
        );
        assert_eq!(bad.code, 1, "{}", bad.all());
        assert!(
            bad.stdout.contains("reply #3 differs in 2 of 3 fields: icmp.type: expected 8 (echo-request), got 0 (echo-reply); data.data: expected c0 de, got be ef"),
            "{}",
            bad.all()
        );
    }
}
