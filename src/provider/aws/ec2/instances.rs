//! EC2: Hosts: images resolved from SSM, RunInstances with an idempotency token, volumes, power.

use super::*;
use crate::provider::aws::classify;

impl AwsProvider {
    pub(super) async fn resolve_image(&self, image: &str) -> Result<String, ProviderError> {
        match image.strip_prefix("ssm:") {
            None => Ok(image.to_string()),
            Some(name) => {
                let out = self.ssm.get_parameter().name(name).send().await.map_err(|e| match classify(&e) {
                    ProviderError::NotFound(_) => ProviderError::NotFound(format!(
                        "the public parameter `{name}` that names this image does not exist in {}",
                        self.region
                    )),
                    other => other,
                })?;
                Ok(out.parameter().and_then(|p| p.value()).unwrap_or_default().to_string())
            }
        }
    }

    pub(super) async fn run_instance(&self, req: Request<'_>) -> Result<Applied, ProviderError> {
        let a = req.address;
        let v: s::Instance = spec(a, req.attrs)?;
        let ami = self.resolve_image(&v.image).await?;
        let images = self.ec2.describe_images().image_ids(&ami).send().await.aws()?;
        let image = images
            .images()
            .first()
            .ok_or_else(|| ProviderError::NotFound(format!("{a}: image {ami} does not exist")))?;
        let root_device = image.root_device_name().unwrap_or("/dev/xvda").to_string();
        // The root volume starts from the image's snapshot, at least as large as it.
        let root = image
            .block_device_mappings()
            .iter()
            .find(|m| m.device_name() == Some(root_device.as_str()))
            .and_then(|m| m.ebs());
        let snapshot = root.and_then(|e| e.snapshot_id()).map(str::to_string);
        let image_size = root.and_then(|e| e.volume_size());
        // Idempotency: the same state lineage and address always give the same token, so a
        // retried RunInstances cannot start a second instance (on AWS; moto ignores it).
        let token = hex::encode(Sha256::digest(format!("{}:{}", req.lineage, a).as_bytes()));
        let tags = self.tags(&req, &v.tags);
        let nic = InstanceNetworkInterfaceSpecification::builder()
            .device_index(0)
            .subnet_id(&v.subnet_id)
            .associate_public_ip_address(v.associate_public_ip)
            .set_groups(Some(v.security_group_ids.clone()))
            .set_private_ip_address(v.private_ip.clone())
            .build();
        let size = match (v.root_volume_size_gb, image_size) {
            (Some(want), Some(min)) => Some(want.max(min)),
            (want, min) => want.or(min),
        };
        let ebs = EbsBlockDevice::builder()
            .encrypted(v.root_volume_encrypted)
            .delete_on_termination(true)
            .set_snapshot_id(snapshot)
            .set_volume_size(size.or(Some(8)));
        let out = self
            .settle("RunInstances", SETTLE, || async {
                let mut call = self
                    .ec2
                    .run_instances()
                    .image_id(&ami)
                    .instance_type(v.instance_type.as_str().into())
                    .min_count(1)
                    .max_count(1)
                    .client_token(&token[..64])
                    .network_interfaces(nic.clone())
                    .block_device_mappings(
                        BlockDeviceMapping::builder().device_name(&root_device).ebs(ebs.clone().build()).build(),
                    )
                    .metadata_options(
                        InstanceMetadataOptionsRequest::builder()
                            .http_tokens(if v.require_imdsv2 {
                                HttpTokensState::Required
                            } else {
                                HttpTokensState::Optional
                            })
                            .build(),
                    )
                    .tag_specifications(tag_spec(ResourceType::Instance, &tags))
                    .tag_specifications(tag_spec(ResourceType::Volume, &tags));
                if let Some(p) = &v.iam_instance_profile {
                    call = call.iam_instance_profile(IamInstanceProfileSpecification::builder().name(p).build());
                }
                if let Some(u) = &v.user_data {
                    call = call.user_data(base64::engine::general_purpose::STANDARD.encode(u));
                }
                call.send().await.aws()
            })
            .await?;
        let id = out.instances().first().and_then(|i| i.instance_id()).unwrap_or_default().to_string();
        self.ec2
            .wait_until_instance_running()
            .instance_ids(&id)
            .wait(INSTANCE_WAIT)
            .await
            .map_err(|e| ProviderError::Fatal(format!("{a}: instance {id} did not reach `running`: {e}")))?;
        let desc = self.ec2.describe_instances().instance_ids(&id).send().await.aws()?;
        let inst = desc.reservations().iter().flat_map(|r| r.instances()).next();
        let private_ip = inst.and_then(|i| i.private_ip_address()).unwrap_or_default();
        let public_ip = inst.and_then(|i| i.public_ip_address()).unwrap_or_default();
        let dns = inst.and_then(|i| i.private_dns_name()).unwrap_or_default();
        Ok(applied(
            &id,
            req.attrs,
            outputs(&[
                ("id", &id),
                ("private_ip", private_ip),
                ("public_ip", public_ip),
                ("private_dns", dns),
                ("ami", &ami),
            ]),
        ))
    }

    /// The ids of the EBS volumes attached to an instance.
    pub(super) async fn instance_volumes(&self, id: &str) -> Result<Vec<String>, ProviderError> {
        let out = self.ec2.describe_instances().instance_ids(id).send().await.aws()?;
        Ok(out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .flat_map(|i| i.block_device_mappings())
            .filter_map(|m| m.ebs().and_then(|e| e.volume_id()).map(str::to_string))
            .collect())
    }

    /// Stops or starts one instance and waits until it is stopped or running.
    pub(in crate::provider::aws) async fn set_instance_running(
        &self,
        address: &Address,
        id: &str,
        running: bool,
    ) -> Result<(), ProviderError> {
        let want = if running {
            self.ec2.start_instances().instance_ids(id).send().await.aws()?;
            "running"
        } else {
            self.ec2.stop_instances().instance_ids(id).send().await.aws()?;
            "stopped"
        };
        let waited = if running {
            self.ec2.wait_until_instance_running().instance_ids(id).wait(INSTANCE_WAIT).await.map(|_| ())
        } else {
            self.ec2.wait_until_instance_stopped().instance_ids(id).wait(INSTANCE_WAIT).await.map(|_| ())
        };
        waited.map_err(|e| ProviderError::Fatal(format!("{address}: instance {id} did not reach `{want}`: {e}")))?;
        Ok(())
    }
}
