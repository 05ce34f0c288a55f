"""The Poe service layer. Never imports Textual (see DESIGN.md section 2)."""
