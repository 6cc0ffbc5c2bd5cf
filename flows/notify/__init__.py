"""Alerts: which changes each rule wants (match), the messages (render), and sending them exactly once (deliver)."""
