//! The record signer without AWS: P-256 keys in a file made on first start
//! (consent-local), or in memory (tests). The file holds the current key
//! and the retired ones, newest first, so that rotation keeps old records
//! verifiable.

use std::path::Path;

use async_trait::async_trait;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use consent_core::record::PublicJwk;
use serde::{Deserialize, Serialize};

use crate::ports::{RecordSigner, SignError};

/// The key file: PKCS#8 keys in base64, the current one first.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<String>,
}

pub struct LocalRecordKey {
    current: EcdsaKeyPair,
    /// Every key's public half, the current one first.
    public: Vec<PublicJwk>,
}

fn new_pkcs8() -> Vec<u8> {
    EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
        .expect("the system's random source works")
        .as_ref()
        .to_vec()
}

fn pair(pkcs8: &[u8]) -> Result<EcdsaKeyPair, String> {
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
        .map_err(|_| "not a P-256 key in PKCS#8".to_owned())
}

impl LocalRecordKey {
    /// A fresh key held in memory only.
    pub fn generate() -> Self {
        Self::from_keys(&[new_pkcs8()]).expect("a key just made is valid")
    }

    fn from_keys(keys: &[Vec<u8>]) -> Result<Self, String> {
        let pairs = keys
            .iter()
            .map(|k| pair(k))
            .collect::<Result<Vec<_>, _>>()?;
        let public = pairs
            .iter()
            .map(|p| PublicJwk::p256(p.public_key().as_ref()).ok_or("not a P-256 key"))
            .collect::<Result<Vec<_>, _>>()?;
        let current = pairs
            .into_iter()
            .next()
            .ok_or("the key file holds no key")?;
        Ok(Self { current, public })
    }

    /// The keys in `path`, made there (readable by its owner only) when the
    /// file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        if !path.exists() {
            Self::write(path, &[new_pkcs8()])?;
            tracing::info!(path = %shown, "made the record-signing key");
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let file: KeyFile = serde_json::from_str(&text)
            .map_err(|e| format!("{shown}: not a record key file ({e})"))?;
        let keys = file
            .keys
            .iter()
            .map(|k| STANDARD.decode(k).map_err(|e| format!("{shown}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_keys(&keys).map_err(|e| format!("{shown}: {e}"))
    }

    /// Makes a new current key in `path`, keeping the others as retired.
    pub fn rotate(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let file: KeyFile = serde_json::from_str(&text)
            .map_err(|e| format!("{shown}: not a record key file ({e})"))?;
        let mut keys = vec![new_pkcs8()];
        for k in &file.keys {
            keys.push(STANDARD.decode(k).map_err(|e| format!("{shown}: {e}"))?);
        }
        Self::write(path, &keys)?;
        Self::load_or_create(path)
    }

    fn write(path: &Path, keys: &[Vec<u8>]) -> Result<(), String> {
        let file = KeyFile {
            keys: keys.iter().map(|k| STANDARD.encode(k)).collect(),
        };
        let text = serde_json::to_string_pretty(&file).expect("plain data");
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let owner_only = std::fs::Permissions::from_mode(0o600);
            std::fs::set_permissions(path, owner_only)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

#[async_trait]
impl RecordSigner for LocalRecordKey {
    fn key_id(&self) -> &str {
        &self.public[0].kid
    }

    async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, SignError> {
        self.current
            .sign(&SystemRandom::new(), input)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| SignError::unavailable("the record key could not sign"))
    }

    async fn public_keys(&self) -> Result<Vec<PublicJwk>, SignError> {
        Ok(self.public.clone())
    }
}
