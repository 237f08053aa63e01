"""Provider webhooks (Twilio): signature-checked, no sign-in."""
