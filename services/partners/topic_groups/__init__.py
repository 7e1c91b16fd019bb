"""Topic groups (议题小组): residents, staff and partners studying one local problem
(buying groceries in Shekou), their activities (a survey, a workshop) and what they publish
(a guide); publishing emits ``partners.topic_output.published``, which the network service
shares with the foundation's networks."""
