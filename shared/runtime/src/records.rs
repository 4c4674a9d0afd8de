//! Who signs the consent records in a Lambda function: the KMS key the
//! template made, where the function's `main` names KMS.

use std::sync::Arc;

use consent_app::ports::RecordSigner;

use crate::backends::Uses;
use crate::settings::RecordKeys;

/// Makes the signer of the key (and the retired ones) on the SDK configuration.
pub(crate) type KmsWiring = fn(&aws_types::SdkConfig, &RecordKeys) -> Option<Arc<dyn RecordSigner>>;

impl Uses {
    /// Consent records signed with a key in AWS KMS, when one is named.
    #[cfg(feature = "kms")]
    pub fn kms(mut self) -> Self {
        self.kms = Some(|sdk, keys| {
            let current = keys.current.as_deref()?;
            let client = aws_sdk_kms::Client::new(sdk);
            Some(Arc::new(consent_aws::kms::KmsSigner::new(
                client,
                current,
                keys.retired.clone(),
            )))
        });
        self
    }

    /// Whether this program's `main` named KMS.
    pub(crate) fn signs_records(&self) -> bool {
        self.kms.is_some()
    }

    /// The record signer this program wires in, if any.
    pub(crate) fn record_signer(
        &self,
        sdk: &aws_types::SdkConfig,
        keys: &RecordKeys,
    ) -> Option<Arc<dyn RecordSigner>> {
        (self.kms?)(sdk, keys)
    }
}
