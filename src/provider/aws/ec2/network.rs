//! EC2: VPCs, subnets, internet gateways and route tables: the calls their create, update, delete
//! and refresh share.

use super::*;

impl AwsProvider {
    pub(super) async fn vpc_dns(&self, id: &str, support: bool, hostnames: bool) -> Result<(), ProviderError> {
        self.ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(AttributeBooleanValue::builder().value(support).build())
            .send()
            .await
            .aws()?;
        self.ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(AttributeBooleanValue::builder().value(hostnames).build())
            .send()
            .await
            .aws()?;
        Ok(())
    }

    pub(super) async fn subnet_public(&self, id: &str, public: bool) -> Result<(), ProviderError> {
        self.ec2
            .modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(public).build())
            .send()
            .await
            .aws()
            .map(|_| ())
    }

    pub(super) async fn add_route(&self, table: &str, r: &s::Route) -> Result<(), ProviderError> {
        self.settle("CreateRoute", SETTLE, || async {
            self.ec2
                .create_route()
                .route_table_id(table)
                .destination_cidr_block(&r.destination_cidr_block)
                .gateway_id(&r.gateway_id)
                .send()
                .await
                .aws()
                .map(|_| ())
        })
        .await
    }

    pub(super) async fn associate(&self, table: &str, subnet: &str) -> Result<(), ProviderError> {
        self.ec2.associate_route_table().route_table_id(table).subnet_id(subnet).send().await.aws().map(|_| ())
    }

    /// Routes socform manages and subnet associations (subnet id → association id).
    pub(super) async fn route_table_state(
        &self,
        id: &str,
    ) -> Result<(Vec<s::Route>, BTreeMap<String, String>), ProviderError> {
        let out = self.ec2.describe_route_tables().route_table_ids(id).send().await.aws()?;
        let rt = out.route_tables().first().ok_or_else(|| ProviderError::NotFound(id.to_string()))?;
        Ok((routes_of(rt), associations_of(rt)))
    }

    pub(super) async fn vpc_dns_state(&self, id: &str) -> Result<(bool, bool), ProviderError> {
        use aws_sdk_ec2::types::VpcAttributeName;
        let ask = |attribute| self.ec2.describe_vpc_attribute().vpc_id(id).attribute(attribute).send();
        let s = ask(VpcAttributeName::EnableDnsSupport).await.aws()?;
        let h = ask(VpcAttributeName::EnableDnsHostnames).await.aws()?;
        Ok((
            s.enable_dns_support().and_then(|v| v.value()).unwrap_or(false),
            h.enable_dns_hostnames().and_then(|v| v.value()).unwrap_or(false),
        ))
    }

    /// What still uses a VPC, subnet or group, by its network interfaces: for the message
    /// of a delete that timed out on a dependency violation.
    pub(in crate::provider::aws) async fn users_of(&self, address: &Address, id: &str) -> Vec<String> {
        let filter = match address.kind() {
            Kind::Vpc => "vpc-id",
            Kind::Subnet => "subnet-id",
            Kind::SecurityGroup => "group-id",
            _ => return vec![],
        };
        let Ok(out) = self
            .ec2
            .describe_network_interfaces()
            .filters(Filter::builder().name(filter).values(id).build())
            .send()
            .await
        else {
            return vec![];
        };
        out.network_interfaces()
            .iter()
            .map(|n| {
                let eni = n.network_interface_id().unwrap_or("?");
                match n.attachment().and_then(|a| a.instance_id()) {
                    Some(i) => format!("{eni} (instance {i})"),
                    None => format!("{eni} ({})", n.description().unwrap_or("network interface")),
                }
            })
            .collect()
    }
}

/// Routes through a gateway that someone created (not the `local` route).
pub(super) fn routes_of(rt: &aws_sdk_ec2::types::RouteTable) -> Vec<s::Route> {
    let mut v: Vec<s::Route> = rt
        .routes()
        .iter()
        .filter(|r| r.gateway_id().is_some_and(|g| g != "local"))
        .filter_map(|r| {
            Some(s::Route {
                destination_cidr_block: r.destination_cidr_block()?.to_string(),
                gateway_id: r.gateway_id()?.to_string(),
            })
        })
        .collect();
    v.sort();
    v
}

pub(super) fn associations_of(rt: &aws_sdk_ec2::types::RouteTable) -> BTreeMap<String, String> {
    rt.associations()
        .iter()
        .filter(|a| !a.main().unwrap_or(false))
        .filter_map(|a| Some((a.subnet_id()?.to_string(), a.route_table_association_id()?.to_string())))
        .collect()
}
