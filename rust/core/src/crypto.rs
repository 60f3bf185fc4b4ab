//! End-to-end encryption of event data for `private-encrypted-` channels (NaCl secretbox).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_secretbox::aead::{Aead, AeadInPlace, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::random;

/// Size of an XSalsa20-Poly1305 nonce.
pub const NONCE_LEN: usize = 24;

const ENVELOPE_NONCE_PREFIX: &str = r#"{"nonce": ""#;
const ENVELOPE_CIPHERTEXT_PREFIX: &str = r#"", "ciphertext": ""#;
const ENVELOPE_SUFFIX: &str = r#""}"#;

/// The 32-byte secretbox key of an encrypted channel: SHA-256(channel UTF-8 bytes ‖ master key).
pub fn shared_secret(channel: &str, master_key: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(channel.as_bytes())
        .chain_update(master_key)
        .finalize()
        .into()
}

/// The shared secret as standard padded base64, the `shared_secret` of a channel authorization.
pub fn shared_secret_base64(channel: &str, master_key: &[u8]) -> String {
    STANDARD.encode(shared_secret(channel, master_key))
}

fn channel_cipher(channel: &str, master_key: &[u8]) -> XSalsa20Poly1305 {
    XSalsa20Poly1305::new(&Key::from(shared_secret(channel, master_key)))
}

fn nonce_from_bytes(bytes: &[u8]) -> Result<Nonce, Error> {
    let nonce: [u8; NONCE_LEN] = bytes
        .try_into()
        .map_err(|_| Error::InvalidNonceLength(bytes.len()))?;
    Ok(Nonce::from(nonce))
}

fn base64_len(bytes: usize) -> usize {
    base64::encoded_len(bytes, true).expect("event payloads are far below usize::MAX")
}

/// `{"nonce": "<b64>", "ciphertext": "<b64>"}`, spaced like the official Python SDK.
fn envelope(nonce: &[u8], ciphertext: &[u8]) -> String {
    let capacity = ENVELOPE_NONCE_PREFIX.len()
        + base64_len(nonce.len())
        + ENVELOPE_CIPHERTEXT_PREFIX.len()
        + base64_len(ciphertext.len())
        + ENVELOPE_SUFFIX.len();
    let mut json = String::with_capacity(capacity);
    json.push_str(ENVELOPE_NONCE_PREFIX);
    STANDARD.encode_string(nonce, &mut json);
    json.push_str(ENVELOPE_CIPHERTEXT_PREFIX);
    STANDARD.encode_string(ciphertext, &mut json);
    json.push_str(ENVELOPE_SUFFIX);
    json
}

/// Seals `plaintext` for `channel` under a fresh nonce from the OS CSPRNG (buffered, see
/// [`random`]) and returns the event
/// data envelope `{"nonce": "<b64>", "ciphertext": "<b64>"}`.
///
/// The ciphertext is the secretbox output without the nonce (16-byte tag, then the encrypted
/// bytes), as PyNaCl's `SecretBox.encrypt(...).ciphertext`.
pub fn encrypt(channel: &str, master_key: &[u8], plaintext: &[u8]) -> String {
    let mut nonce = Nonce::default();
    random::fill(&mut nonce);
    seal(channel, master_key, plaintext, nonce)
}

fn seal(channel: &str, master_key: &[u8], plaintext: &[u8], nonce: Nonce) -> String {
    let ciphertext = channel_cipher(channel, master_key)
        .encrypt(&nonce, plaintext)
        .expect("secretbox only fails on associated data, and none is given");
    envelope(&nonce, &ciphertext)
}

/// Opens the base64 `nonce` and `ciphertext` of an envelope made by [`encrypt`].
///
/// Fails on invalid base64, a nonce that is not 24 bytes, or a ciphertext that does not
/// authenticate under the channel's shared secret.
pub fn decrypt(
    channel: &str,
    master_key: &[u8],
    nonce_b64: &str,
    ciphertext_b64: &str,
) -> Result<Vec<u8>, Error> {
    let nonce = STANDARD
        .decode(nonce_b64)
        .map_err(|_| Error::InvalidBase64("nonce"))?;
    let nonce = nonce_from_bytes(&nonce)?;
    let mut buffer = STANDARD
        .decode(ciphertext_b64)
        .map_err(|_| Error::InvalidBase64("ciphertext"))?;
    channel_cipher(channel, master_key)
        .decrypt_in_place(&nonce, b"", &mut buffer)
        .map_err(|_| Error::DecryptionFailed)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDK_CHANNEL: &str = "pvUPIk0YG6MnxCEMIUUVFrbDmQwbhICXUcy";
    const SDK_MASTER_KEY: &[u8] = b"OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5";
    const SDK_PLAINTEXT: &[u8] = b"kkkT5OOkOkO5kT5TOO5TkOT5TTk5O55T";
    const SDK_NONCE: &[u8] = b"XAJI0Y6DPBHSAHXTHV3A3ZMF";
    const SDK_NONCE_B64: &str = "WEFKSTBZNkRQQkhTQUhYVEhWM0EzWk1G";
    const SDK_CIPHERTEXT_B64: &str =
        "tsYJa2JgGDOpVIYFe4aNVWAvZlpB7z7CjN9mpIdbATE0Yc4izN8aM8D6VigBxnIQ";

    const GO_CHANNEL: &str = "private-encrypted-bla";
    const GO_MASTER_KEY: &[u8] = b"This is a string that is 32 chars";
    const GO_NONCE_B64: &str = "sjklahvpWWQgAjTx5FfYHCCxd2AmaL9T";
    const GO_CIPHERTEXT_B64: &str = "zoDEe8dA3nDXKsybAWce/hXGW4szJw==";

    /// Pulls the two base64 fields back out of an envelope, checking its exact layout.
    fn envelope_fields(json: &str) -> (&str, &str) {
        let rest = json
            .strip_prefix(ENVELOPE_NONCE_PREFIX)
            .and_then(|rest| rest.strip_suffix(ENVELOPE_SUFFIX))
            .unwrap_or_else(|| panic!("malformed envelope {json}"));
        rest.split_once(ENVELOPE_CIPHERTEXT_PREFIX)
            .unwrap_or_else(|| panic!("malformed envelope {json}"))
    }

    #[test]
    fn python_sdk_shared_secret() {
        let master_key = STANDARD
            .decode("OHRXNUZRTG5pUTFzQlFGd3J3N3Q2VFZFc0paZDEweVk=")
            .unwrap();
        let secret = shared_secret("private-encrypted-channel", &master_key);
        assert_eq!(
            STANDARD.encode(secret),
            "VmIsNZtCSteh8kazd2toc+ofhohBtUouQRSDtRvuyVI="
        );
    }

    /// [`encrypt`] under a chosen nonce, to compare with known answers.
    fn encrypt_with_nonce(
        channel: &str,
        master_key: &[u8],
        plaintext: &[u8],
        nonce: &[u8],
    ) -> String {
        seal(
            channel,
            master_key,
            plaintext,
            nonce_from_bytes(nonce).unwrap(),
        )
    }

    #[test]
    fn python_sdk_encryption_with_fixed_nonce() {
        let json = encrypt_with_nonce(SDK_CHANNEL, SDK_MASTER_KEY, SDK_PLAINTEXT, SDK_NONCE);
        assert_eq!(
            json,
            format!(r#"{{"nonce": "{SDK_NONCE_B64}", "ciphertext": "{SDK_CIPHERTEXT_B64}"}}"#)
        );
        assert_eq!(
            decrypt(
                SDK_CHANNEL,
                SDK_MASTER_KEY,
                SDK_NONCE_B64,
                SDK_CIPHERTEXT_B64
            )
            .unwrap(),
            SDK_PLAINTEXT
        );
    }

    #[test]
    fn go_sdk_shared_secret_with_33_byte_master_key() {
        assert_eq!(GO_MASTER_KEY.len(), 33);
        assert_eq!(
            hex::encode(shared_secret(GO_CHANNEL, GO_MASTER_KEY)),
            "004831f99d2a4e86723e893caded3a2897deeddbed9514fe9497dcddc52bd50b"
        );
    }

    #[test]
    fn go_sdk_decryption() {
        let plaintext =
            decrypt(GO_CHANNEL, GO_MASTER_KEY, GO_NONCE_B64, GO_CIPHERTEXT_B64).unwrap();
        assert_eq!(plaintext, b"Hello!");
    }

    #[test]
    fn roundtrip_with_random_nonces() {
        let plaintext = "{\"message\":\"héllo\"}".as_bytes();
        let first = encrypt("private-encrypted-x", b"k", plaintext);
        let second = encrypt("private-encrypted-x", b"k", plaintext);
        assert_ne!(first, second, "each message gets a fresh nonce");

        for json in [&first, &second] {
            let (nonce, ciphertext) = envelope_fields(json);
            assert_eq!(STANDARD.decode(nonce).unwrap().len(), NONCE_LEN);
            assert_eq!(
                STANDARD.decode(ciphertext).unwrap().len(),
                plaintext.len() + 16
            );
            assert_eq!(
                decrypt("private-encrypted-x", b"k", nonce, ciphertext).unwrap(),
                plaintext
            );
        }
    }

    #[test]
    fn empty_plaintext_roundtrips() {
        let json = encrypt("c", b"k", b"");
        let (nonce, ciphertext) = envelope_fields(&json);
        assert_eq!(decrypt("c", b"k", nonce, ciphertext).unwrap(), b"");
    }

    #[test]
    fn decrypt_rejects_wrong_key_or_channel() {
        let open = |channel, key| decrypt(channel, key, SDK_NONCE_B64, SDK_CIPHERTEXT_B64);
        assert_eq!(
            open(SDK_CHANNEL, b"another master key".as_slice()),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(
            open("private-encrypted-other", SDK_MASTER_KEY),
            Err(Error::DecryptionFailed)
        );
    }

    #[test]
    fn decrypt_rejects_tampered_or_truncated_ciphertext() {
        let mut ciphertext = STANDARD.decode(SDK_CIPHERTEXT_B64).unwrap();
        let last = ciphertext.len() - 1;
        ciphertext[last] ^= 1;
        let tampered = STANDARD.encode(&ciphertext);
        let open =
            |ciphertext: &str| decrypt(SDK_CHANNEL, SDK_MASTER_KEY, SDK_NONCE_B64, ciphertext);
        assert_eq!(open(&tampered), Err(Error::DecryptionFailed));
        assert_eq!(
            open(&STANDARD.encode(&ciphertext[..15])),
            Err(Error::DecryptionFailed)
        );
        assert_eq!(open(""), Err(Error::DecryptionFailed));
    }

    #[test]
    fn decrypt_rejects_wrong_nonce_length() {
        let short_nonce = STANDARD.encode([0u8; 16]);
        assert_eq!(
            decrypt(
                SDK_CHANNEL,
                SDK_MASTER_KEY,
                &short_nonce,
                SDK_CIPHERTEXT_B64
            ),
            Err(Error::InvalidNonceLength(16))
        );
    }

    #[test]
    fn decrypt_rejects_bad_base64() {
        assert_eq!(
            decrypt(
                SDK_CHANNEL,
                SDK_MASTER_KEY,
                "not base64!",
                SDK_CIPHERTEXT_B64
            ),
            Err(Error::InvalidBase64("nonce"))
        );
        assert_eq!(
            decrypt(SDK_CHANNEL, SDK_MASTER_KEY, SDK_NONCE_B64, "%%%%"),
            Err(Error::InvalidBase64("ciphertext"))
        );
    }
}
