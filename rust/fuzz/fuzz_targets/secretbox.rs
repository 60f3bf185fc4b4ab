//! End-to-end encryption: any channel, master key and plaintext seal into an envelope laid out as
//! the official SDK writes it (`{"nonce": "<b64>", "ciphertext": "<b64>"}`) that opens again with
//! `decrypt`, and with `crypto_secretbox` and `sha2` used directly; a flipped bit of the
//! ciphertext, or another channel, never opens. Decrypting any envelope never panics, classifies
//! bad base64 and nonce lengths as such, and what does open re-seals to the same ciphertext.
//!
//! Fields: channel, master key, plaintext, bit to flip, then an arbitrary nonce and ciphertext
//! (base64 text).
#![no_main]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Nonce, XSalsa20Poly1305};
use libfuzzer_sys::fuzz_target;
use pusher_fast_core::crypto::{decrypt, encrypt, shared_secret, NONCE_LEN};
use pusher_fast_core::Error;
use pusher_fast_fuzz::Fields;
use sha2::{Digest, Sha256};

fn cipher(channel: &str, master_key: &[u8]) -> XSalsa20Poly1305 {
    let key: [u8; 32] = Sha256::new()
        .chain_update(channel.as_bytes())
        .chain_update(master_key)
        .finalize()
        .into();
    XSalsa20Poly1305::new(&key.into())
}

fuzz_target!(|data: &[u8]| {
    let mut fields = Fields::new(data);
    let channel = fields.text();
    let master_key = fields.bytes();
    let plaintext = fields.bytes();
    let flip = fields.u64();
    let nonce_b64 = fields.text();
    let ciphertext_b64 = fields.text();

    let cipher = cipher(&channel, master_key);
    assert_eq!(
        shared_secret(&channel, master_key).as_slice(),
        Sha256::new()
            .chain_update(channel.as_bytes())
            .chain_update(master_key)
            .finalize()
            .as_slice()
    );

    let envelope = encrypt(&channel, master_key, plaintext);
    let rest = envelope
        .strip_prefix(r#"{"nonce": ""#)
        .and_then(|rest| rest.strip_suffix(r#""}"#))
        .expect("envelope layout");
    let (nonce, ciphertext) = rest
        .split_once(r#"", "ciphertext": ""#)
        .expect("envelope layout");
    let nonce_bytes: [u8; NONCE_LEN] = STANDARD.decode(nonce).unwrap().try_into().unwrap();
    let sealed = STANDARD.decode(ciphertext).unwrap();
    assert_eq!(sealed.len(), plaintext.len() + 16);
    assert_eq!(
        decrypt(&channel, master_key, nonce, ciphertext).unwrap(),
        plaintext
    );
    assert_eq!(
        cipher
            .decrypt(&Nonce::from(nonce_bytes), sealed.as_slice())
            .unwrap(),
        plaintext
    );

    let mut tampered = sealed.clone();
    let bit = (flip % (tampered.len() as u64 * 8)) as usize;
    tampered[bit / 8] ^= 1 << (bit % 8);
    assert_eq!(
        decrypt(&channel, master_key, nonce, &STANDARD.encode(&tampered)),
        Err(Error::DecryptionFailed)
    );
    let other_channel = format!("{channel}x");
    assert_eq!(
        decrypt(&other_channel, master_key, nonce, ciphertext),
        Err(Error::DecryptionFailed)
    );

    // Any envelope.
    let result = decrypt(&channel, master_key, &nonce_b64, &ciphertext_b64);
    let decoded_nonce = STANDARD.decode(nonce_b64.as_bytes());
    match &result {
        Err(Error::InvalidBase64("nonce")) => assert!(decoded_nonce.is_err()),
        Err(Error::InvalidNonceLength(length)) => {
            assert_eq!(decoded_nonce.as_ref().map(Vec::len), Ok(*length));
            assert_ne!(*length, NONCE_LEN);
        }
        Err(Error::InvalidBase64("ciphertext")) => {
            assert!(STANDARD.decode(ciphertext_b64.as_bytes()).is_err());
        }
        Err(Error::DecryptionFailed) => {}
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(opened) => {
            let nonce: [u8; NONCE_LEN] = decoded_nonce.unwrap().try_into().unwrap();
            let sealed = cipher
                .encrypt(&Nonce::from(nonce), opened.as_slice())
                .unwrap();
            assert_eq!(STANDARD.decode(ciphertext_b64.as_bytes()).unwrap(), sealed);
        }
    }
    if let Err(error) = result {
        assert!(!error.to_string().is_empty());
    }
});
