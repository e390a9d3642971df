"""Infrastructure as code: the CloudFormation template and the deployer that applies it."""
